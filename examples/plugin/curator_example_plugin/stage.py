"""``type: max_urls``: drop (or tag) records whose assistant turns cite more than ``max_urls`` URLs.

A plug-in stage is a Pydantic config (a ``StageConfig`` whose ``type`` is a Literal) and a
``RecordStage`` (``check`` one record, or ``judge`` a batch) or ``GlobalStage``; the base class
applies the action, counts, and writes removals. It never opens files.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from curator.records import InstructionRecord
from curator.stages.base import Reason, RecordStage, StageConfig

URL = re.compile(r"https?://\S+")


class MaxUrlsConfig(StageConfig):
    """Records whose answers are mostly link lists are rarely good training data."""

    type: Literal["max_urls"] = "max_urls"
    max_urls: int = Field(default=3, ge=0, description="Most URLs the assistant turns may hold.")


class MaxUrls(RecordStage[MaxUrlsConfig]):
    config_model = MaxUrlsConfig

    def check(self, record: InstructionRecord) -> Reason | None:
        urls = sum(len(URL.findall(m.content)) for m in record.messages if m.role == "assistant")
        if urls > self.config.max_urls:
            return Reason("too_many_urls", {"urls": urls})
        return None
