"""Request and response models; the validation rules live here and show in the OpenAPI schema."""

from datetime import datetime
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator
from pydantic.networks import validate_email

PG_BIGINT_MAX = 2**63 - 1


@lru_cache(maxsize=16_384)
def _normalized_email(value: str) -> str:
    return validate_email(value)[1]  # raises (and caches nothing) when the address is invalid


class Email(EmailStr):
    """EmailStr (same rules, errors and schema) remembering recent valid addresses: email_validator
    is pure Python and was the largest single cost of a POST; people comment more than once."""

    @classmethod
    def _validate(cls, input_value: str, /) -> str:
        return _normalized_email(input_value)

ContentId = Annotated[int, Field(strict=True, gt=0, le=PG_BIGINT_MAX, description="Positive integer id")]


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"email": "alice@example.com", "comment": "first post", "content_id": 1}]
    })

    email: Email = Field(max_length=254)
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
