"""Pictures of the demo course, drawn here (flat shapes, no photographs and nothing downloaded):
each kind is a small scene in the site's colours, the same bytes every time."""

import io

from PIL import Image, ImageDraw


SIZE = (1200, 800)
NAVY, GREEN, RED, SAND, SKY, GRASS, WHITE = (
    "#123f6d",
    "#1f6b3a",
    "#b3261e",
    "#f3e4c8",
    "#dbe8f5",
    "#9cc48a",
    "#ffffff",
)
# The kinds a content file may name in `picture:`, with the image's title in the admin.
PICTURES = {
    "meeting": "Встреча с жителями",
    "yard": "Благоустроенный двор",
    "documents": "Журнал обращений",
    "growth": "Рост показателей",
    "playground": "Детская площадка",
}


def _person(draw, x, y, colour, scale=1.0):
    head = 34 * scale
    draw.ellipse((x - head, y - 3 * head, x + head, y - head), fill=colour)
    draw.rounded_rectangle((x - 1.6 * head, y - 0.8 * head, x + 1.6 * head, y + 2.6 * head), radius=head, fill=colour)


def _meeting(draw):
    draw.rectangle((0, 560, 1200, 800), fill=SAND)
    draw.rounded_rectangle((300, 470, 900, 560), radius=18, fill=NAVY)
    for index, x in enumerate(range(220, 1060, 140)):
        _person(draw, x, 430, (GREEN, RED, NAVY)[index % 3])
    draw.rectangle((520, 150, 680, 330), fill=WHITE, outline=NAVY, width=8)
    for line in range(4):
        draw.line((545, 190 + line * 35, 655, 190 + line * 35), fill=NAVY, width=6)


def _yard(draw):
    draw.rectangle((0, 520, 1200, 800), fill=GRASS)
    draw.polygon(((0, 800), (420, 520), (640, 520), (560, 800)), fill="#c9c9c9")
    for x, height in ((120, 330), (860, 380)):
        draw.rectangle((x, 520 - height, x + 220, 520), fill=SAND, outline=NAVY, width=6)
        for row in range(height // 90):
            for column in range(2):
                top = 520 - height + 30 + row * 90
                draw.rectangle((x + 30 + column * 100, top, x + 90 + column * 100, top + 50), fill=SKY)
    for x in (700, 780):
        draw.ellipse((x - 60, 330, x + 60, 450), fill=GREEN)
        draw.rectangle((x - 10, 440, x + 10, 530), fill="#7a5230")
    draw.rectangle((430, 470, 530, 490), fill=NAVY)


def _documents(draw):
    for offset, colour in ((60, SKY), (30, SAND), (0, WHITE)):
        draw.rounded_rectangle(
            (380 + offset, 120 + offset, 820 + offset, 680 + offset), radius=16, fill=colour, outline=NAVY, width=8
        )
    for row in range(6):
        top = 200 + row * 72
        draw.rectangle((430, top, 470, top + 40), outline=NAVY, width=6)
        if row < 4:
            draw.line((436, top + 20, 450, top + 34, 466, top + 4), fill=GREEN, width=8)
        draw.line((500, top + 20, 760, top + 20), fill=NAVY, width=8)


def _growth(draw):
    draw.line((200, 680, 1000, 680), fill=NAVY, width=10)
    draw.line((200, 680, 200, 140), fill=NAVY, width=10)
    for index, height in enumerate((140, 230, 300, 410, 500)):
        x = 260 + index * 150
        draw.rectangle((x, 680 - height, x + 100, 675), fill=(GREEN if index == 4 else SKY), outline=NAVY, width=6)
    draw.line((310, 500, 460, 420, 610, 370, 760, 260, 910, 160), fill=RED, width=12)
    draw.polygon(((910, 130), (950, 170), (890, 185)), fill=RED)


def _playground(draw):
    draw.rectangle((0, 560, 1200, 800), fill=GRASS)
    draw.rectangle((180, 300, 200, 600), fill=NAVY)
    draw.rectangle((420, 300, 440, 600), fill=NAVY)
    draw.rectangle((160, 280, 460, 310), fill=NAVY)
    for x in (250, 370):
        draw.line((x, 310, x, 470), fill="#555555", width=6)
    draw.rectangle((235, 470, 385, 490), fill=RED)
    draw.polygon(((700, 600), (760, 300), (800, 300), (1000, 600), (940, 600), (775, 360), (740, 600)), fill=GREEN)
    draw.rectangle((740, 300, 820, 330), fill=NAVY)
    draw.ellipse((560, 520, 640, 600), fill=RED)


SCENES = {"meeting": _meeting, "yard": _yard, "documents": _documents, "growth": _growth, "playground": _playground}


def draw_picture(kind):
    """PNG bytes of the picture of `kind` (one of PICTURES)."""
    image = Image.new("RGB", SIZE, SKY)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, SIZE[0], 24), fill=RED)
    SCENES[kind](draw)
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()
