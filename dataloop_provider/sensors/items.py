"""New items in a dataset since the data interval (or any ``[since, until)``), matching DQL filters."""
from __future__ import annotations

from typing import Optional

from dataloop_provider.sensors.base import DataloopSensor
from dataloop_provider.triggers.items import DataloopNewItemsTrigger, new_items


class DataloopNewItemsSensor(DataloopSensor):
    """Done when at least ``min_items`` files created in ``[since, until)`` match ``filters``. ``since`` and
    ``until`` default to the run's data interval. XCom: ``{"dataset_id", "count", "item_ids"}`` (ids capped)."""

    template_fields = ("dataset_id", "filters", "since", "until", "dataloop_conn_id")

    def __init__(self, *, dataset_id: str, filters: Optional[dict] = None,
                 since: Optional[str] = "{{ data_interval_start }}", until: Optional[str] = "{{ data_interval_end }}",
                 min_items: int = 1, **kwargs):
        super().__init__(**kwargs)
        if min_items < 1:
            raise ValueError(f"{type(self).__name__}: min_items must be >= 1, got {min_items}")
        self.dataset_id, self.filters, self.since, self.until = dataset_id, filters, since, until
        self.min_items = min_items

    def check(self, context) -> tuple:
        found = new_items(self.hook.get_conn(), self.dataset_id, self.since or None, self.until or None,
                          self.filters)
        self.log.info("%d new item(s) in dataset %s created in [%s, %s)", found["count"], self.dataset_id,
                      self.since or "-", self.until or "-")
        return found["count"] >= self.min_items, found

    def trigger(self, deadline: float):
        return DataloopNewItemsTrigger(self.dataset_id, since=self.since or None, until=self.until or None,
                                       filters=self.filters, min_items=self.min_items,
                                       **self.trigger_options(deadline))

    def event_value(self, event: dict):
        return {k: event[k] for k in ("count", "item_ids")} | {"dataset_id": self.dataset_id}
