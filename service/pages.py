"""The server-rendered pages (vendor portal, officer page, coordinator board, agency admin
page): the next step."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
