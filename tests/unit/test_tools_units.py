"""Unit conversion: length, mass, volume, time, speed and temperature, phrased in several ways."""

from __future__ import annotations

import pytest

from app.tools import ToolContext, answer

CONTEXT = ToolContext(now_s=1_796_126_400.0, timezone="UTC", timers=(), next_id="t1")


def reply(transcript: str) -> tuple[str, str] | None:
    found = answer(transcript, CONTEXT)
    return None if found is None else (found.tool, found.text)


@pytest.mark.parametrize(
    ("transcript", "text"),
    [
        ("Convert 5 miles to kilometers.", "5 miles is about 8.05 kilometers."),
        ("convert 5 miles into kilometres", "5 miles is about 8.05 kilometers."),
        ("how many kilometers is 5 miles", "5 miles is about 8.05 kilometers."),
        ("5 miles is how many kilometers?", "5 miles is about 8.05 kilometers."),
        ("What is 1 mile in km?", "1 mile is about 1.61 kilometers."),
        ("How many feet in a mile?", "There are 5,280 feet in a mile."),
        ("How many inches are in a foot?", "There are 12 inches in a foot."),
        ("1 foot in meters", "1 foot is 0.3048 meters."),
        ("What is 5 foot in cm?", "5 feet is 152.4 centimeters."),
        ("How many centimeters in an inch?", "There are 2.54 centimeters in an inch."),
        ("how many yards in a mile", "There are 1,760 yards in a mile."),
        ("How many grams are in a pound?", "There are about 453.59 grams in a pound."),
        ("10 kg in pounds", "10 kilograms is about 22.05 pounds."),
        ("10kg in lbs", "10 kilograms is about 22.05 pounds."),
        ("How many ounces in a pound?", "There are 16 ounces in a pound."),
        ("How many stone is 80 kg?", "80 kilograms is about 12.6 stones."),
        ("How many cups in a gallon?", "There are 16 cups in a gallon."),
        ("how many ounces in a cup", "There are 8 fluid ounces in a cup."),
        ("How many tablespoons in a cup?", "There are 16 tablespoons in a cup."),
        ("How much is 2 liters in cups?", "2 liters is about 8.45 cups."),
        ("How many ml in a teaspoon?", "There are about 4.93 milliliters in a teaspoon."),
        ("How many minutes are there in one day?", "There are 1,440 minutes in a day."),
        ("how many seconds in an hour", "There are 3,600 seconds in an hour."),
        ("how many days in a week", "There are 7 days in a week."),
        ("How many hours are in a day?", "There are 24 hours in a day."),
        ("How many weeks are in a year?", "There are about 52.14 weeks in a year."),
        ("How many minutes are in an hour and a half?", "There are 90 minutes in an hour and a half."),
        ("Convert 2 hours and 30 minutes to minutes.", "2 hours and 30 minutes is 150 minutes."),
        ("Convert 60 km/h to mph.", "60 kilometers per hour is about 37.28 miles per hour."),
        ("How fast is 100 km per hour in miles per hour?", "100 kilometers per hour is about 62.14 miles per hour."),
        ("what is 10 meters per second in kilometers per hour", "10 meters per second is 36 kilometers per hour."),
        ("What is 100 fahrenheit in celsius?", "100 degrees Fahrenheit is about 37.78 degrees Celsius."),
        ("What is -40 °F in Celsius?", "Minus 40 degrees Fahrenheit is minus 40 degrees Celsius."),
        ("convert 20 c to f", "20 degrees Celsius is 68 degrees Fahrenheit."),
        ("What's 37 degrees Celsius in Fahrenheit?", "37 degrees Celsius is 98.6 degrees Fahrenheit."),
        ("What's 30 degrees in Fahrenheit?", "30 degrees Celsius is 86 degrees Fahrenheit."),
        ("What is 212 degrees in celsius?", "212 degrees Fahrenheit is 100 degrees Celsius."),
        ("What is 0 kelvin in celsius?", "0 kelvin is minus 273.15 degrees Celsius."),
        ("Convert 300 kelvin to degrees.", "300 kelvin is 26.85 degrees Celsius."),
        ("Could you convert ten kilometers to miles, please?", "10 kilometers is about 6.21 miles."),
    ],
)
def test_conversions(transcript: str, text: str) -> None:
    assert reply(transcript) == ("units", text)


@pytest.mark.parametrize(
    "transcript",
    ["How many people live in France?", "How many days until Christmas?", "What is a mile?", "How many grams in a cup?",
     "Convert this to PDF.", "How many miles is it to the moon?", "How many legs does a spider have?",
     "What is the temperature?", "How many feet does a snake have?", "Convert 5 miles to kilograms."],
)
def test_not_conversions(transcript: str) -> None:
    found = reply(transcript)
    assert found is None or found[0] != "units"
