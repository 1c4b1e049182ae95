// Starts Swagger UI on /api/v1/docs (frontdesk/api/docs.py). A file of its own, not an inline
// script: the page's Content-Security-Policy allows scripts from this origin only.
'use strict';
window.addEventListener('load', () => {
  window.ui = window.SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null, // the default would ask validator.swagger.io about our document
    queryConfigEnabled: false, // never load a document or configuration named in the URL
    showExtensions: true,
  });
});
