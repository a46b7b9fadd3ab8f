"""The health view on the in-memory layer (runserver, unit tests): no Redis to check."""
import pytest


@pytest.mark.django_db
def test_health_without_redis_reports_the_in_memory_layer(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"redis": "not used (in-memory layer)", "db": "ok"}
