"""Photos on actions: upload one for a case, read one back (EXIF-free, only within scope).

An action (``POST /api/v1/incidents/{code}/actions``) then names the ids it answers here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Response, UploadFile
from pydantic import BaseModel, Field

from api.auth import Reader
from api.deps import ConnDep, EngineDep, SettingsDep
from api.schemas import Error
from cases.loop import attachments

router = APIRouter(tags=["attachments"])


class AttachmentOut(BaseModel):
    """A stored photo, as an action names it."""

    id: int
    sha256: str = Field(description="SHA-256 of the stored (metadata-free) bytes.")
    type: str = Field(description="image/jpeg, image/png or image/webp, read from the bytes.")
    bytes: int


@router.post(
    "/attachments",
    status_code=201,
    response_model=AttachmentOut,
    responses={404: {"model": Error}, 413: {"model": Error}, 422: {"model": Error}},
    summary="上传事件照片（JPEG/PNG/WebP，≤10 MB，去除EXIF位置信息）",
)
def upload_attachment(
    file: UploadFile,
    incident: Annotated[
        str, Form(max_length=32, description="The code of the case the photo belongs to.")
    ],
    engine: EngineDep,
    settings: SettingsDep,
    principal: Reader,
) -> AttachmentOut:
    data = file.file.read(attachments.MAX_BYTES + 1)
    with engine.begin() as conn:
        stored = attachments.save(
            conn,
            attachments.store_for(settings),
            incident,
            data,
            by=principal.username,
            scope=principal.scope,
        )
    return AttachmentOut.model_validate(stored)


@router.get(
    "/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {"content": {t: {} for t in attachments.MEDIA_TYPES.values()}},
        404: {"model": Error},
    },
    summary="查看事件照片（仅限可查看该事件的账号）",
)
def get_attachment(
    attachment_id: int, conn: ConnDep, settings: SettingsDep, principal: Reader
) -> Response:
    data, media_type, sha256 = attachments.open_attachment(
        conn, attachments.store_for(settings), attachment_id, scope=principal.scope
    )
    headers = {
        "ETag": f'"{sha256}"',
        "Cache-Control": "private, max-age=86400, immutable",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, media_type=media_type, headers=headers)
