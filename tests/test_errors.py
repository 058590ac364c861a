"""Exception tree: status code -> class, attributes and message, as the platform's SDK names them."""
from __future__ import annotations

import pytest

from dataloop_core import exceptions as ex

CASES = [("400", ex.BadRequest), ("401", ex.Unauthorized), ("403", ex.Forbidden), ("404", ex.NotFound),
         ("408", ex.RequestTimeout), ("409", ex.Conflict), ("424", ex.FailedDependency),
         ("429", ex.TooManyRequests), ("500", ex.InternalServerError), ("503", ex.ServiceUnavailable),
         ("600", ex.TokenExpired), ("1001", ex.ShowAnnotationError), ("1002", ex.ExportAnnotationError),
         ("2001", ex.MissingEntity), ("3001", ex.SDKError), ("502", ex.UnknownException),
         ("422", ex.UnknownException)]


@pytest.mark.parametrize("code,cls", CASES)
def test_exception_for_maps_status_to_class(code, cls):
    error = ex.exception_for(int(code), "boom", method="GET", path="/x", request_id="r1")
    assert type(error) is cls and isinstance(error, ex.PlatformException) and isinstance(error, ex.DataloopError)
    assert (error.status_code, error.message, error.method, error.path, error.request_id) == (
        code, "boom", "GET", "/x", "r1")
    assert str(error) == f"{code}: boom (GET /x)"


def test_message_without_request_context():
    error = ex.exception_for("404", "Project not found")
    assert str(error) == "404: Project not found" and error.status == 404


def test_non_numeric_status_has_no_int_status():
    assert ex.PlatformException("x1", "m").status is None


def test_missing_entity_is_also_a_value_error():
    assert issubclass(ex.MissingEntity, ValueError)


def test_connection_errors_are_sdk_errors():
    assert issubclass(ex.APITimeoutError, ex.APIConnectionError)
    assert issubclass(ex.APIConnectionError, ex.SDKError)
