// The fault form posts to the terminal chosen in the list above it.
document.getElementById("fault-terminal").addEventListener("change", function () {
  this.closest("section").querySelector("form").action = "/admin/terminals/" + this.value + "/faults";
});
