// The phone's buttons: the position, once, with the stamp. The words come from the page
// (data-*), in the reader's language.
(function () {
  var form = document.getElementById("phone"), problem = document.getElementById("geo-error");
  form.querySelectorAll("button").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!navigator.geolocation) { problem.hidden = false; problem.textContent = form.dataset.noPosition; return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        form.direction.value = button.dataset.direction;
        form.latitude.value = p.coords.latitude; form.longitude.value = p.coords.longitude;
        form.submit();
      }, function () { problem.hidden = false; problem.textContent = form.dataset.unavailable; },
      {enableHighAccuracy: true, timeout: 15000, maximumAge: 0});
    });
  });
})();
