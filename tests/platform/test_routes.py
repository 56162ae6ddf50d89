"""Route order: the app tries routes in the order they were included and takes the first that
matches, so the busiest API routes are included first (app.py) to be found after a short
scan. Moving a router must never hide a route behind another's pattern: every route, given
a path of its own shape, must be the first that matches it."""

from __future__ import annotations

import re

from motormall.app import create_app


def _in_order(routes):
    """Routes as the app tries them: included routers opened in place (FastAPI keeps them
    nested and tries their routes in turn)."""
    for route in routes:
        nested = getattr(route, "effective_candidates", None)
        if nested is not None:
            yield from _in_order(nested())
        elif getattr(route, "methods", None):
            yield route


def _first(routes, method: str, path: str):
    for route in routes:
        if method in route.methods and route.path_regex.match(path):
            return route
    return None


def test_every_route_is_the_first_to_match_a_path_of_its_own_shape(settings, db):
    routes = list(_in_order(create_app(settings, db, run_jobs=False).router.routes))
    assert len(routes) > 200
    hidden = []
    for route in routes:
        sample = re.sub(r"{[^}]+}", "1", route.path)
        for method in route.methods - {"HEAD"}:
            first = _first(routes, method, sample)
            if first is not route:
                hidden.append(f"{method} {route.path} behind {first.path}")
    assert hidden == []


def test_the_hot_paths_are_found_early(settings, db):
    routes = list(_in_order(create_app(settings, db, run_jobs=False).router.routes))
    for method, path in (
        ("POST", "/api/v1/orders"),
        ("GET", "/api/v1/orders/1"),
        ("GET", "/api/v1/vehicles"),
        ("POST", "/api/v1/leads"),
    ):
        first = _first(routes, method, path)
        assert routes.index(first) < 40, (method, path, routes.index(first))
