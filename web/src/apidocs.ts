// The API reference at /api/docs: Swagger UI over the server's own OpenAPI document, bundled here so the page
// works without reaching any other host (no CDN, no validator badge).
import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';

SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#api-docs',
  validatorUrl: null, // the default sends the document to an online validator
  deepLinking: true,
  tryItOutEnabled: false,
});
