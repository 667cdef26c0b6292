"""Project-wide request handling."""

from django.utils.cache import add_never_cache_headers


class PrivatePagesMiddleware:
    """Every page and export a logged-in user gets carries client figures: no shared cache, proxy or
    browser history keeps a copy (`Cache-Control: private, no-store`). Static files are served
    before this (whitenoise) and keep their long cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
