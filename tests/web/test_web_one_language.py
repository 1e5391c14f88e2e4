"""A page speaks one language: in English no Italian sentence of the catalogue is left
on it, in Italian no English one (DESIGN.md, principle 7: "every word a person reads comes
from a gettext catalogue, Italian by default").

The words checked are the catalogue's own: each translation that differs from its id, cut
at its placeholders. A word the code writes past the catalogue (a hard-coded
"matricola", "postazione web") is one of them, so it shows up on the page of the other
language. The institution's own words are skipped: rule text as written (`<code>`, `<pre>`)
and the labels its rule file quotes ("Ulteriori esigenze personali a recupero").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from web_pages import form, last_month, signed_in
from world import WebWorld, fresh_web_world

from server.db.models import RuleVersion, Stamp
from server.engine import evaluate_day
from server.engine.notes import HOLIDAY
from server.i18n.catalogues import read_catalogue
from server.i18n.current import use_locale
from server.plugins import institutions
from server.policy.load import load_policy
from server.web.wording import say

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{[^}]*\}|%%")
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
SKIPPED_ELEMENTS = {"code", "pre", "script", "style"}
# Words Italian uses as English does (loanwords), in either language's sentences.
SHARED = {"part time"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    with fresh_web_world(Path(tmp_path_factory.mktemp("one_language"))) as world:
        yield world


class _Text(HTMLParser):
    """What a reader sees: text, and the attributes a browser shows; not code, nor what
    the page marks `translate="no"` (names, usernames, recorded data)."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                      "meta", "source", "track", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.open: list[tuple[str, bool]] = []  # (tag, skipped)

    def skipping(self) -> bool:
        return any(skipped for _, skipped in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        skipped = tag in SKIPPED_ELEMENTS or ("translate", "no") in attrs
        if not (skipped or self.skipping()):
            self.parts += [value for name, value in attrs
                           if name in SHOWN_ATTRIBUTES and value]
        if tag not in self.VOID:
            self.open.append((tag, skipped))

    def handle_endtag(self, tag: str) -> None:
        for at in range(len(self.open) - 1, -1, -1):
            if self.open[at][0] == tag:
                del self.open[at:]
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping():
            self.parts.append(data)


def shown(page: str) -> str:
    reader = _Text()
    reader.feed(page)
    return re.sub(r"\s+", " ", " ".join(reader.parts))


def _fragments(text: str) -> set[str]:
    """A sentence cut at its placeholders; only pieces long enough to say something."""
    return {f for f in (p.strip(" .,:;()·—-") for p in PLACEHOLDER.split(text)) if len(f) >= 8}


def _words(locale: str) -> set[str]:
    """The catalogue's sentences in `locale` ('it': translations, 'en': ids) that the other
    language says differently; not those it says too ("part time" is Italian as well)."""
    found: set[str] = set()
    for m in read_catalogue("it"):
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        if not m.id or not all(strings):
            continue
        italian, english = set().union(*map(_fragments, strings)), set().union(
            *map(_fragments, ids))
        found |= (italian - english) if locale == "it" else (english - italian)
    return found - SHARED


def quoted(institution: str) -> list[str]:
    """What the institution's rule file writes between quotes: labels and messages."""
    source = institutions()[institution].rule_file.read_text(encoding="utf-8")
    return sorted(set(re.findall(r'"([^"\n]+)"', source)), key=len, reverse=True)


def leftovers(page: str, language: str, own_words: Sequence[str] = ()) -> list[str]:
    """Sentences of the other language's catalogue shown on a page in `language`, apart
    from `own_words` (the institution's)."""
    text = shown(page)
    for words in own_words:
        text = text.replace(words, " ")
    other = _words("it" if language == "en" else "en")
    return sorted(w for w in other if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text))


def test_the_check_finds_what_the_code_writes_past_the_catalogue() -> None:
    """The words once hard-coded on the timecard are caught on a page in English, and a
    page with only English passes."""
    assert leftovers("<p>Ann · matricola M001 <small>postazione web</small></p>", "en") == [
        "matricola", "postazione web"]
    assert leftovers("<p>Ann · number M001 <small>web workstation</small></p>", "en") == []
    assert leftovers("<p>Opening balances saved.</p>", "it") == [
        "Opening balances", "Opening balances saved"]
    assert leftovers("<code>overtime { }</code><p>Saldi iniziali registrati.</p>", "it") == []
    assert leftovers('<td translate="no">university.employee</td>', "it") == []


def _web_stamp(world: WebWorld, employee_id: int) -> None:
    """A stamp from the workstation and one the office corrected, so the timecard names
    their sources."""
    with Session(world.engine) as session, session.begin():
        first = session.scalar(sa.select(Stamp).where(Stamp.employee_id == employee_id)
                               .order_by(Stamp.id))
        assert first is not None
        session.add(Stamp(institution_id=first.institution_id, source="web",
                          employee_id=employee_id, terminal_time=first.terminal_time,
                          received_at=first.received_at, local_date=first.local_date,
                          local_minute=first.local_minute + 1, direction="out", code=None,
                          flags="", void=False, terminal_stamp_id=None))


def _rule_version(world: WebWorld, institution: str) -> int:
    with Session(world.engine) as session:
        found = session.scalar(sa.select(sa.func.min(RuleVersion.id))
                               .where(RuleVersion.institution_id == institution))
    assert found is not None
    return found


PAGES = [
    ("university", "employee", "/timecard?month={month}"),
    ("university", "employee", "/summaries?month={month}"),
    ("university", "employee", "/requests"),
    ("university", "employee", "/password"),
    ("university", "employee", "/stamp"),
    ("university", "office", "/admin/employees/{employee}"),
    ("university", "office", "/office/flags?month={month}"),
    ("school", "employee", "/timecard?month={month}"),
    ("school", "office", "/office/flags?month={month}"),
    ("university", "admin", "/admin/audit"),
    ("university", "admin", "/admin/rules/{rules}"),
    ("university", "office", "/office/sheets"),
    ("university", "office", "/office/rota"),
]


@pytest.mark.parametrize("language", ["it", "en"])
def test_each_page_shows_one_language(world: WebWorld, stack: ExitStack,
                                      language: str) -> None:
    """The employee's timecard, summaries, requests, password and stamping pages, the
    office's employee page, flags, paper sheets and rota, the audit log and a rule file:
    in Italian no English sentence of the catalogue, in English no Italian one."""
    for institution in ("university", "school"):
        _web_stamp(world, world.ids[(institution, "self_employee")])
    clients = {}
    found: dict[str, list[str]] = {}
    for institution, role, path in PAGES:
        key = (institution, role)
        if key not in clients:
            clients[key] = signed_in(world, stack, institution, role)
            clients[key].post("/language", data=form(clients[key], lang=language, next="/"))
        url = path.format(month=last_month(), rules=_rule_version(world, institution),
                          employee=world.ids[(institution, "self_employee")])
        answer = clients[key].get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        assert f'<html lang="{language}">' in answer.text
        if wrong := leftovers(answer.text, language, quoted(institution)):
            found[f"{institution} {url}"] = wrong
    assert found == {}


def test_a_holiday_is_named_in_the_reader_s_language() -> None:
    """Seed 001 (Milan): Sant'Ambrogio, 7 December, is not due. The timecard's explanation
    named it in Italian on an English page; now each reader gets their own name and date."""
    result = evaluate_day(load_policy("university"), "full_time", date(2026, 12, 7), [])
    [step] = [e for e in result.explanations() if e.message_id == HOLIDAY]
    with use_locale("it"):
        assert say(step) == "07/12/2026 è festivo (Sant'Ambrogio)"
    with use_locale("en"):
        assert say(step) == "07/12/2026 is a holiday (Saint Ambrose's Day)"


def test_the_audit_log_names_its_actions_in_the_reader_s_language(
        world: WebWorld, stack: ExitStack) -> None:
    """The log showed its keys (`rules_uploaded`, `login`); the key stays only in the
    filter's link and value."""
    admin = signed_in(world, stack, "university", "admin")
    row = shown(admin.get("/admin/audit?action=login").text)
    assert "accesso" in row and " login " not in f" {row} "
    admin.post("/language", data=form(admin, lang="en", next="/"))
    assert "login" in shown(admin.get("/admin/audit?action=login").text)


def test_words_too_short_for_the_check_are_the_reader_s_too(world: WebWorld,
                                                          stack: ExitStack) -> None:
    """Below the check's eight letters: a rule file's title ("Regole #1") and the paper
    sheet's example reference ("novembre 2026") on the English pages."""
    admin = signed_in(world, stack, "university", "admin")
    office = signed_in(world, stack, "university", "office")
    for client in (admin, office):
        client.post("/language", data=form(client, lang="en", next="/"))
    rules = admin.get(f"/admin/rules/{_rule_version(world, 'university')}").text
    assert "<title>Rules #" in rules and "Regole #" not in rules
    sheets = office.get("/office/sheets").text
    assert 'placeholder="November 2026"' in sheets and "novembre" not in sheets
