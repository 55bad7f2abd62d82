"""A stand-in API server on loopback for protocol and fault tests (not a model).

Speaks enough of two wire formats for the real SDK clients to talk to it:
- OpenAI:    POST /v1/chat/completions
- Anthropic: POST /v1/messages, and the Message Batches API
             (POST /v1/messages/batches, GET /v1/messages/batches/{id}, GET .../{id}/results)
and answers faults on a schedule keyed by the ordinal of the model call (1, 2, ... across both
formats): "429", "529" (Anthropic overloaded), "500", "timeout" (stalls past the client's
timeout), "malformed" (a 200 with a body that is not JSON), "incomplete" (a 200 with JSON that
lacks the response fields) and "leak" (a 500 whose body echoes the client's API key, as a
careless proxy might). `batch_faults` gives the Message Batches endpoints ("create",
"retrieve", "results") a fault of their own: "leak" (500) or "leak401" (401), both echoing the
key; with `leaky_401`, a wrong key's 401 echoes it too. Every request is logged, so tests can
count what the server really did.
Replies are a deterministic function of the messages, so tests can check which answer went where.
By default the server ignores any output constraint a request carries (as a server that drops a
field it does not know would); `answer(body)` overrides the reply: a string is the text, a dict
(Anthropic only) is the input of a tool_use block, as a server that honours the constraint sends.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("429", "529", "500", "timeout", "malformed", "incomplete", "leak")


def content_key(messages: list[dict[str, Any]], system: Any = None) -> str:
    blob = json.dumps({"system": system, "messages": messages}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def reply_text(messages: list[dict[str, Any]], system: Any = None) -> str:
    last = messages[-1]["content"] if messages else ""
    if isinstance(last, list):
        last = " ".join(part.get("text", "") for part in last)
    return f"reply {content_key(messages, system)} to: {str(last)[:40]}"


class FakeAPIServer:
    def __init__(
        self,
        schedule: dict[int, str] | None = None,
        *,
        api_key: str | None = None,
        delay_s: float = 0.0,
        stall_s: float = 3.0,
        batch_polls_to_end: int = 2,
        batch_item_faults: dict[int, str] | None = None,
        answer: Any = None,
        batch_faults: dict[str, str] | None = None,
        leaky_401: bool = False,
    ) -> None:
        self.answer = answer
        self.schedule = dict(schedule or {})
        assert set(self.schedule.values()) <= set(FAULTS), self.schedule
        self.api_key = api_key
        self.delay_s = delay_s
        self.stall_s = stall_s
        self.batch_polls_to_end = batch_polls_to_end
        self.batch_item_faults = dict(batch_item_faults or {})
        self.batch_faults = dict(batch_faults or {})
        assert set(self.batch_faults.values()) <= {"leak", "leak401"}, self.batch_faults
        self.leaky_401 = leaky_401
        self.lock = threading.Lock()
        self.ordinal = 0
        self.log: list[dict[str, Any]] = []
        self.batches: dict[str, dict[str, Any]] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FakeAPIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # what the tests read
    def calls(self, outcome: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.log if outcome is None or e["outcome"] == outcome]

    def served(self) -> list[str]:
        """Content keys of the calls answered successfully (batch items included)."""
        return [e["key"] for e in self.calls("ok")]

    def _next(self, path: str, key: str, body: dict[str, Any], api_key: str) -> tuple[int, str]:
        with self.lock:
            self.ordinal += 1
            fault = self.schedule.get(self.ordinal, "ok")
            self.log.append(
                {
                    "n": self.ordinal,
                    "path": path,
                    "key": key,
                    "outcome": fault,
                    "body": body,
                    "api_key": api_key,
                }
            )
            return self.ordinal, fault

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(
                self,
                status: int,
                body: bytes | dict[str, Any],
                headers: dict[str, str] | None = None,
            ) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout fault): nothing to answer

            def _key(self) -> str:
                auth = self.headers.get("Authorization", "")
                return self.headers.get("x-api-key") or auth.removeprefix("Bearer ").strip()

            def _authorized(self) -> bool:
                if server.api_key is None or self._key() == server.api_key:
                    return True
                message = f"invalid x-api-key {self._key()}" if server.leaky_401 else "bad key"
                self._send(401, {"error": {"type": "authentication_error", "message": message}})
                return False

            def _batch_fault(self, endpoint: str) -> bool:
                fault = server.batch_faults.get(endpoint)
                if fault is None:
                    return False
                with server.lock:
                    server.log.append({"n": 0, "path": self.path, "key": "", "outcome": fault})
                status = 401 if fault == "leak401" else 500
                kind = "authentication_error" if fault == "leak401" else "api_error"
                message = f"batch {endpoint} refused for key {self._key()}"
                self._send(status, _error(kind, message, True))
                return True

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length", 0))
                return json.loads(self.rfile.read(length) or b"{}")

            def _fault(self, fault: str, anthropic: bool) -> bool:
                """Answer a scheduled fault; False when the call should be served normally."""
                fast_retry = {"retry-after-ms": "20"}
                if fault == "429":
                    kind = "rate_limit_error"
                    self._send(429, _error(kind, "slow down", anthropic), fast_retry)
                elif fault == "529":
                    self._send(529, _error("overloaded_error", "Overloaded", anthropic), fast_retry)
                elif fault == "500":
                    self._send(500, _error("api_error", "internal error", anthropic), fast_retry)
                elif fault == "leak":
                    message = f"upstream rejected key {self._key()}"
                    self._send(500, _error("api_error", message, anthropic), fast_retry)
                elif fault == "timeout":
                    time.sleep(server.stall_s)
                    self._send(500, _error("api_error", "too late", anthropic))
                elif fault == "malformed":
                    self._send(200, b'{"id": "x", "choices": [ {"mess')
                elif fault == "incomplete":
                    self._send(200, {"id": "x", "object": "chat.completion", "type": "message"})
                else:
                    return False
                return True

            def do_POST(self) -> None:
                if not self._authorized():
                    return
                body = self._body()
                if self.path == "/v1/chat/completions":
                    self._openai(body)
                elif self.path == "/v1/messages":
                    self._anthropic(body)
                elif self.path == "/v1/messages/batches":
                    self._batch_create(body)
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_GET(self) -> None:
                if not self._authorized():
                    return
                parts = self.path.strip("/").split("/")
                if parts[:3] == ["v1", "messages", "batches"] and len(parts) == 4:
                    self._batch_retrieve(parts[3])
                elif parts[:3] == ["v1", "messages", "batches"] and parts[4:] == ["results"]:
                    self._batch_results(parts[3])
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def _openai(self, body: dict[str, Any]) -> None:
                messages = body["messages"]
                key = content_key(messages)
                _, fault = server._next(self.path, key, body, self._key())
                if self._fault(fault, anthropic=False):
                    return
                time.sleep(server.delay_s)
                text = server.answer(body) if server.answer else reply_text(messages)
                self._send(
                    200,
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": sum(len(m["content"]) for m in messages) // 4,
                            "completion_tokens": len(text.split()),
                            "total_tokens": 0,
                        },
                    },
                )

            def _anthropic(self, body: dict[str, Any]) -> None:
                messages, system = body["messages"], body.get("system")
                key = content_key(messages, system)
                _, fault = server._next(self.path, key, body, self._key())
                if self._fault(fault, anthropic=True):
                    return
                time.sleep(server.delay_s)
                self._send(200, _message(body, server.answer))

            def _batch_create(self, body: dict[str, Any]) -> None:
                if self._batch_fault("create"):
                    return
                batch_id = f"msgbatch_{len(server.batches) + 1:04d}"
                with server.lock:
                    server.log.append(
                        {"n": 0, "path": self.path, "key": batch_id, "outcome": "batch"}
                    )
                    server.batches[batch_id] = {
                        "requests": body["requests"],
                        "polls": 0,
                        "created": datetime.now(UTC),
                    }
                self._send(200, _batch_object(server, batch_id))

            def _batch_retrieve(self, batch_id: str) -> None:
                if self._batch_fault("retrieve"):
                    return
                if batch_id not in server.batches:
                    self._send(404, _error("not_found_error", f"no batch {batch_id}", True))
                    return
                with server.lock:
                    server.batches[batch_id]["polls"] += 1
                self._send(200, _batch_object(server, batch_id, self.headers.get("Host")))

            def _batch_results(self, batch_id: str) -> None:
                if self._batch_fault("results"):
                    return
                batch = server.batches[batch_id]
                lines = []
                for position, item in enumerate(batch["requests"], start=1):
                    params = item["params"]
                    key = content_key(params["messages"], params.get("system"))
                    fault = server.batch_item_faults.get(position)
                    with server.lock:
                        server.log.append(
                            {"n": 0, "path": self.path, "key": key, "outcome": fault or "ok"}
                        )
                    if fault:
                        result = {
                            "type": "errored",
                            "error": {
                                "type": "error",
                                "error": {"type": "overloaded_error", "message": "Overloaded"},
                            },
                        }
                    else:
                        result = {"type": "succeeded", "message": _message(params, server.answer)}
                    lines.append(json.dumps({"custom_id": item["custom_id"], "result": result}))
                self._send(200, ("\n".join(lines) + "\n").encode())

        return Handler


def _error(kind: str, message: str, anthropic: bool) -> dict[str, Any]:
    if anthropic:
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "code": None}}


def _message(params: dict[str, Any], answer: Any = None) -> dict[str, Any]:
    reply = answer(params) if answer else reply_text(params["messages"], params.get("system"))
    text = reply if isinstance(reply, str) else json.dumps(reply)
    block = (
        {"type": "text", "text": reply}
        if isinstance(reply, str)
        else {"type": "tool_use", "id": "toolu_fake", "name": "verdict", "input": reply}
    )
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": params["model"],
        "content": [block],
        "stop_reason": "end_turn" if isinstance(reply, str) else "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": len(json.dumps(params["messages"])) // 4,
            "output_tokens": len(text.split()),
        },
    }


def _batch_object(server: FakeAPIServer, batch_id: str, host: str | None = None) -> dict[str, Any]:
    batch = server.batches[batch_id]
    n = len(batch["requests"])
    ended = batch["polls"] >= server.batch_polls_to_end
    failed = len(server.batch_item_faults) if ended else 0
    return {
        "id": batch_id,
        "type": "message_batch",
        "processing_status": "ended" if ended else "in_progress",
        "request_counts": {
            "processing": 0 if ended else n,
            "succeeded": n - failed if ended else 0,
            "errored": failed,
            "canceled": 0,
            "expired": 0,
        },
        "created_at": batch["created"].isoformat(),
        "expires_at": (batch["created"] + timedelta(hours=24)).isoformat(),
        "ended_at": datetime.now(UTC).isoformat() if ended else None,
        "cancel_initiated_at": None,
        "archived_at": None,
        "results_url": f"{server.url}/v1/messages/batches/{batch_id}/results" if ended else None,
    }
