import base64
import io
import math
import struct
import wave

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import plotly.graph_objects as go  # noqa: E402


def _tone() -> str:
    """A tenth of a second of a 440 Hz tone, as a WAV data URL."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 8000 * 440 * 6.283)))
                                 for i in range(800)))
    return "data:audio/wav;base64," + base64.b64encode(buffer.getvalue()).decode()


def main(params, context):
    n = params["rows"]
    frame = pd.DataFrame({"city": [f"city {i:02d}" for i in range(n)],
                          "population": [(i * 7919) % 1000 for i in range(n)]})
    context.preview(frame)
    figure, axes = plt.subplots(figsize=(4, 2.5))
    axes.plot(range(10), [i * i for i in range(10)])
    axes.set_title("squares")
    context.preview(figure)
    plt.close(figure)
    context.preview(go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2])))
    context.preview({"type": "markdown", "data": "# Report\n\nSome **bold** words.\n\n- one\n- two"})
    context.preview({"type": "json", "data": {"answer": 42, "items": [1, 2, {"deep": True}]}})
    context.preview({"type": "html", "data": "<p id='hello'>Hello from <b>html</b></p>"})
    context.preview({"type": "audio", "data": _tone()})
    context.preview({"type": "video", "data": "data:video/mp4;base64,"})
    print(f"previewed a table of {n} rows")
    return {"shown": 8}
