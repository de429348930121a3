"""Settings, read once from the environment (and a `.env` file in the project root)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The project root: the folder holding pyproject.toml, app.py and db/.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "db" / "strategy_canvas.db"


class Settings(BaseSettings):
    """Every setting of the app. Each is documented in the README (a test checks that)."""

    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL of the database; SQLite under db/ by default.",
    )
    access_mode: Literal["local", "shared"] = Field(
        default="local",
        validation_alias="STRATEGY_CANVAS_MODE",
        description="local lists every canvas on the home page; shared hides the list "
        "behind a login or the admin passcode.",
    )
    admin_passcode: str = Field(
        default="",
        validation_alias="STRATEGY_CANVAS_ADMIN_PASSCODE",
        description="In shared mode, the passcode that unlocks the canvas list.",
    )
    live_sync_seconds: float = Field(
        default=0.75,
        ge=0.2,
        le=60,
        validation_alias="STRATEGY_CANVAS_SYNC_SECONDS",
        description="How often each open page checks the canvas for changes by others.",
    )
    export_ahead: bool = Field(
        default=True,
        validation_alias="STRATEGY_CANVAS_EXPORT_AHEAD",
        description="Prepare the export shown on the Export page in the background, "
        "again after each change, so it is ready when asked for.",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
