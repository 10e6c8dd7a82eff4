import math

from oocana import Context


def main(params: dict, context: Context):
    import matplotlib.pyplot as plt
    import pandas as pd
    import plotly.graph_objects as go
    from PIL import Image, ImageDraw

    n = params["points"]
    xs = [i / 2 for i in range(n)]
    frame = pd.DataFrame({"x": xs, "sin": [math.sin(x) for x in xs],
                          "cos": [math.cos(x) for x in xs]})

    context.preview(frame)  # a table: columns, rows, row_count
    context.preview({"type": "text", "data": f"{n} points from 0 to {xs[-1]}"})
    context.preview({"type": "json", "data": {"points": n, "columns": list(frame.columns)}})
    context.preview({"type": "markdown",
                     "data": f"# Waves\n\n*sin* and *cos* over **{n}** points."})
    context.preview({"type": "html",
                     "data": "<h1>Waves</h1><p>sin peaks at <b>"
                             f"{frame['sin'].max():.3f}</b></p>"})

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(frame["x"], frame["sin"], label="sin")
    ax.plot(frame["x"], frame["cos"], label="cos")
    ax.legend()
    plt.show()  # an image preview of every open figure; they are closed afterwards

    chart = go.Figure([go.Scatter(x=frame["x"], y=frame["sin"], name="sin"),
                       go.Scatter(x=frame["x"], y=frame["cos"], name="cos")])
    chart.show()  # an html preview that loads plotly.js from a local file

    image = Image.new("RGB", (160, 90), "white")
    draw = ImageDraw.Draw(image)
    draw.line([(i * 160 / n, 45 - 40 * math.sin(x)) for i, x in enumerate(xs)],
              fill="navy", width=2)
    context.preview(image)  # a PNG image preview

    return {"previews": 8}
