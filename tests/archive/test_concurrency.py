"""Writers to one scope queue on its chain row; the chain stays gapless and verifiable."""

import threading

import pytest
from django.db import connection, transaction

from archive import chain
from archive.models import Record


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_to_a_new_scope_build_one_intact_chain() -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(15):
                with transaction.atomic():
                    chain.record("test.event", scope="conversation:999999",
                                   payload={"writer": n, "i": i})
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    positions = list(Record.objects.filter(scope="conversation:999999")
                     .order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, 46))
    assert chain.verify().intact
