"""The live room: Socket.IO handlers, the broadcaster, the wire protocol, and the live pages."""
