"""The operation pipeline and its transports: every way in (HTTP, multipart, both WebSocket
protocols) runs the same stages in the same order."""
