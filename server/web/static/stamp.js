(function () {
  var form = document.getElementById("phone"), problem = document.getElementById("geo-error");
  form.querySelectorAll("button").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!navigator.geolocation) { problem.hidden = false; problem.textContent = "Il browser non fornisce la posizione. / The browser gives no position."; return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        form.direction.value = button.dataset.direction;
        form.latitude.value = p.coords.latitude; form.longitude.value = p.coords.longitude;
        form.submit();
      }, function () { problem.hidden = false; problem.textContent = "Posizione non disponibile: consenti l'accesso alla posizione. / Position unavailable: allow location access."; },
      {enableHighAccuracy: true, timeout: 15000, maximumAge: 0});
    });
  });
})();
