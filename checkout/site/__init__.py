"""The site frame: landing page, health check, language choice and error pages."""
