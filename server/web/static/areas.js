document.getElementById("here").addEventListener("click", function () {
  var form = this.form;
  navigator.geolocation && navigator.geolocation.getCurrentPosition(function (p) {
    form.latitude.value = p.coords.latitude.toFixed(6); form.longitude.value = p.coords.longitude.toFixed(6);
  });
});
