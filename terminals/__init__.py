"""Terminal software: badge and keypad input, offline queue, MQTT publishing, simulator.

- `protocol`: topics and payloads shared with the server (standard library only);
- `reader`: input lines to swipes; `display`: what the screen says;
- `outbox`: the durable local queue; `link`: stamps from the outbox to the broker and
  acks back, over `session`: the MQTT connection; `events`: what the link reports;
- `config`: the YAML file; `main`: the `timbra-terminal` program;
- `simulator`: many terminals in one process, for load and fault tests, with `swipes`:
  what they swipe, and `delivery`: what is measured of it.

Nothing here imports `server`: the terminal box does not have it. This folder is its own
distribution, `timbra-terminal` (`pyproject.toml` here), needing only paho-mqtt and PyYAML;
the server depends on it, not the other way round.
"""
