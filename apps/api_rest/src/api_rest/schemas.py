"""Request and response models; the validation rules live here and show in the OpenAPI schema."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

PG_BIGINT_MAX = 2**63 - 1
ContentId = Annotated[int, Field(strict=True, gt=0, le=PG_BIGINT_MAX, description="Positive integer id")]


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"email": "alice@example.com", "comment": "first post", "content_id": 1}]
    })

    email: EmailStr = Field(max_length=254)
    comment: str = Field(min_length=1, max_length=2000)
    content_id: ContentId

    @field_validator("comment")
    @classmethod
    def comment_is_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("comment must not be blank")
        if "\x00" in value:
            raise ValueError("comment must not contain NUL characters")
        return value


class CommentOut(BaseModel):
    id: int
    email: str
    comment: str
    content_id: int
    created_at: datetime


class CommentPage(BaseModel):
    content_id: int
    comments: list[CommentOut]
    next_cursor: int | None = Field(description="Pass as ?cursor= for the next page; null on the last page")


class FieldError(BaseModel):
    field: str
    location: str
    rule: str
    message: str


class ValidationErrorBody(BaseModel):
    error: str = "validation_failed"
    errors: list[FieldError]


class ErrorBody(BaseModel):
    error: str
    detail: str
