"""Tutorial step 7: file uploads (multipart/form-data)."""

from typing import Annotated

from orionis import Application, File, Form, UploadFile

app = Application(title="Notes", max_body_size=5 * 1024 * 1024)  # bigger bodies: 413


@app.post("/notes/{note_id:int}/attachments")
async def attach(
    note_id: int,
    upload: Annotated[UploadFile, File()],
    caption: Annotated[str, Form()] = "",
) -> tuple[dict, int]:
    data = await upload.read()
    return {
        "note": note_id,
        "filename": upload.filename,
        "content_type": upload.content_type,
        "size": len(data),
        "caption": caption,
    }, 201
