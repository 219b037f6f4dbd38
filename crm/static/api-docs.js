// The API's documentation page (/api/v1/docs): Swagger UI on the app's own OpenAPI document.
// A file of its own: the Content-Security-Policy allows no inline script.
(function () {
  var node = document.getElementById("api-docs");
  window.SwaggerUIBundle({
    url: node.getAttribute("data-spec-url"),
    domNode: node,
    deepLinking: true,
    persistAuthorization: false,
  });
})();
