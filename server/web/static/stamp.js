// The phone's buttons: the position, once, with the stamp. The words come from the page
// (data-*), in the reader's language. Without this script the form goes without a position
// and the server refuses it: the rules that want one accept no stamp without it.
(function () {
  var form = document.getElementById("phone"), problem = document.getElementById("geo-error");
  var sending = false;
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (sending || !button) { return; }
    event.preventDefault();
    if (!navigator.geolocation) { problem.hidden = false; problem.textContent = form.dataset.noPosition; return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      form.latitude.value = p.coords.latitude; form.longitude.value = p.coords.longitude;
      sending = true;
      form.requestSubmit(button);
    }, function () { problem.hidden = false; problem.textContent = form.dataset.unavailable; },
    {enableHighAccuracy: true, timeout: 15000, maximumAge: 0});
  });
})();
