(function () {
  var box = document.getElementById("close");
  function poll() {
    fetch("/api/v1/closes/" + box.dataset.month, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (p) {
        document.getElementById("close-bar").value = p.percent;
        document.getElementById("close-done").textContent = p.done;
        document.getElementById("close-total").textContent = p.total;
        if (p.state === "closing" && p.running) { setTimeout(poll, 1000); } else { location.reload(); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
