"""``for_speech``: numbers, times, dates, money, units and symbols said the way people say them."""

from __future__ import annotations

import pytest

from app.spoken import for_speech


def case(text: str, spoken: str) -> pytest.param:
    return pytest.param(text, spoken, id=text)


INTEGERS = [
    case("It is 56.", "It is fifty-six."),
    case("1,440 minutes", "one thousand four hundred forty minutes"),
    case("1440 minutes", "one thousand four hundred forty minutes"),
    case("1000000 users", "one million users"),
    case("It was -5 outside", "It was minus five outside"),
    case("5-10 people", "five to ten people"),
    case("pages 5–10", "pages five to ten"),
    case("5 - 3 = 2", "five minus three equals two"),
    case("5\u22123", "five minus three"),  # the minus sign
    case("+5 points", "plus five points"),
    case("007", "zero zero seven"),
    case("1,2,3", "one, two, three"),
    case("1234567890123456789",
         "one two three four five six seven eight nine zero one two three four five six seven eight nine"),
    case("a 5-year-old", "a five-year-old"),
    case("COVID-19", "COVID nineteen"),
    case("GPT-4 and MP3", "GPT four and MP three"),
    case("the 5s and 6s", "the fives and sixes"),
    case("1,000s of people", "thousands of people"),
    case("100s", "hundreds"),
    case("1.5M users", "one point five million users"),
    case("4B parameters", "four billion parameters"),
    case("a 10K run", "a ten K run"),
]

YEARS = [
    case("in 1969", "in nineteen sixty-nine"),
    case("since 2001", "since two thousand one"),
    case("In 2026, prices rose", "In twenty twenty-six, prices rose"),
    case("by 2030.", "by twenty thirty."),
    case("the summer of 1969", "the summer of nineteen sixty-nine"),
    case("the 1990s", "the nineteen nineties"),
    case("the 1990's", "the nineteen nineties"),
    case("the '80s", "the eighties"),
    case("in your 20s", "in your twenties"),
    case("the 1800s", "the eighteen hundreds"),
    case("the 2000s", "the two thousands"),
    case("1939-1945", "nineteen thirty-nine to nineteen forty-five"),
    case("the 2020-21 season", "the twenty twenty to twenty-one season"),
    case("between 1990 and 2000", "between nineteen ninety and two thousand"),
    case("from 1990 to 2005", "from nineteen ninety to two thousand five"),
    case("Apollo 11 (1969) landed", "Apollo eleven, nineteen sixty-nine, landed"),
    case("in 44 BC", "in forty-four BC"),
    case("1066 AD", "ten sixty-six AD"),
    case("the 2024 election", "the twenty twenty-four election"),
    case("the 1995 people", "the one thousand nine hundred ninety-five people"),
    case("Q1 2024", "Q one twenty twenty-four"),
    case("in FY2023", "in FY twenty twenty-three"),
    case("in 1500 ms", "in one thousand five hundred milliseconds"),
    case("in 1066", "in one thousand sixty-six"),
    case("2023 was a good year.", "twenty twenty-three was a good year."),
    case("mid-1990s", "mid nineteen nineties"),
]

DECIMALS_AND_ORDINALS = [
    case("pi is 3.14", "pi is three point one four"),
    case("0.5 liters", "zero point five liters"),
    case("about .5", "about point five"),
    case("version 2.5.1", "version two point five point one"),
    case("1st, 2nd and 23rd", "first, second and twenty-third"),
    case("the 21st century", "the twenty-first century"),
    case("the 100th time", "the one hundredth time"),
    case("3rd-party", "third-party"),
]

DATES = [
    case("December 1", "December first"),
    case("on December 1, 2024.", "on December first, twenty twenty-four."),
    case("Dec. 25", "December twenty-fifth"),
    case("March 3-5", "March third to fifth"),
    case("on 3 March", "on the third of March"),
    case("the 3rd of March", "the third of March"),
    case("4 July 2026", "the fourth of July twenty twenty-six"),
    case("in May 2024", "in May twenty twenty-four"),
    case("2024-03-15", "March fifteenth, twenty twenty-four"),
    case("3/15/2024", "March fifteenth, twenty twenty-four"),
    case("15/03/2024", "March fifteenth, twenty twenty-four"),
    case("15.03.2024", "March fifteenth, twenty twenty-four"),
    case("12/25/24", "December twenty-fifth, twenty twenty-four"),
    case("born on 5/4/1990.", "born on May fourth, nineteen ninety."),
]

TIMES = [
    case("3:05 PM", "three oh five PM"),
    case("12:00", "twelve o'clock"),
    case("14:30", "fourteen thirty"),
    case("14:00", "fourteen hundred"),
    case("7:00 am", "seven AM"),
    case("at 7am", "at seven AM"),
    case("at 11 PM", "at eleven PM"),
    case("10:30 a.m.", "ten thirty AM."),
    case("at 5 p.m. tomorrow", "at five PM tomorrow"),
    case("3:05 p.m. Then we left.", "three oh five PM. Then we left."),
    case("08:05", "eight oh five"),
    case("00:00", "midnight"),
    case("10:30:15", "ten thirty and fifteen seconds"),
    case("9:00-17:00", "nine o'clock to seventeen hundred"),
    case("ratio 16:9", "ratio sixteen to nine"),
    case("John 3:16", "John three sixteen"),
    case("at 3.30pm", "at three thirty PM"),
    case("3-4 PM", "three to four PM"),
]

MONEY = [
    case("$5", "five dollars"),
    case("$1", "one dollar"),
    case("$1.50", "one dollar fifty"),
    case("$0.99", "ninety-nine cents"),
    case("$0.01", "one cent"),
    case("$2.00", "two dollars"),
    case("$1,234.56", "one thousand two hundred thirty-four dollars fifty-six"),
    case("$3.5 million", "three point five million dollars"),
    case("$10k", "ten thousand dollars"),
    case("$2B", "two billion dollars"),
    case("€20", "twenty euros"),
    case("20€", "twenty euros"),
    case("£3", "three pounds"),
    case("£1.50", "one pound fifty"),
    case("¥500", "five hundred yen"),
    case("50¢", "fifty cents"),
    case("-$5", "minus five dollars"),
    case("$5-$10", "five dollars to ten dollars"),
    case("5 USD", "five US dollars"),
    case("It costs $3.", "It costs three dollars."),
]

MEASURES = [
    case("15%", "fifteen percent"),
    case("3.5%", "three point five percent"),
    case("10-15%", "ten to fifteen percent"),
    case("25°C", "twenty-five degrees Celsius"),
    case("77°F", "seventy-seven degrees Fahrenheit"),
    case("-5 °C", "minus five degrees Celsius"),
    case("turn 1° left", "turn one degree left"),
    case("It is 90°.", "It is ninety degrees."),
    case("a 45° angle", "a forty-five degrees angle"),
    case("5 km", "five kilometers"),
    case("1 km", "one kilometer"),
    case("10 kg", "ten kilograms"),
    case("I am 3 m tall", "I am three meters tall"),
    case("12 cm", "twelve centimeters"),
    case("5 mi", "five miles"),
    case("60 mph", "sixty miles per hour"),
    case("100 km/h", "one hundred kilometers per hour"),
    case("100km/h", "one hundred kilometers per hour"),
    case("2 lbs", "two pounds"),
    case("1 lb", "one pound"),
    case("500 ml", "five hundred milliliters"),
    case("2 L", "two liters"),
    case("6 ft", "six feet"),
    case("1 ft", "one foot"),
    case("5 min", "five minutes"),
    case("200 ms", "two hundred milliseconds"),
    case("2.4 GHz", "two point four gigahertz"),
    case("5 GB", "five gigabytes"),
    case("100 Mbps", "one hundred megabits per second"),
    case("5 kWh", "five kilowatt hours"),
    case("500 sq ft", "five hundred square feet"),
    case("5 m²", "five square meters"),
    case("24h", "twenty-four hours"),
    case("1h 30m left", "one hour thirty minutes left"),
    case("2m 5s", "two minutes five seconds"),
    case("½ tsp salt", "one half teaspoon salt"),
    case("1 1/2 tsp", "one and a half teaspoons"),
    case("2 tbsp", "two tablespoons"),
    case("5'10\" tall", "five foot ten tall"),
    case("$5/month", "five dollars per month"),
    case("3 times/day", "three times per day"),
    case("10k steps", "ten thousand steps"),
]

FRACTIONS_AND_OPERATORS = [
    case("1/2", "one half"),
    case("3/4 cup", "three quarters cup"),
    case("2/3", "two thirds"),
    case("1/8 teaspoon", "one eighth teaspoon"),
    case("1 1/2 cups", "one and a half cups"),
    case("2 3/4", "two and three quarters"),
    case("½ cup", "one half cup"),
    case("1½ cups", "one and a half cups"),
    case("rated 8/10", "rated eight out of ten"),
    case("7/25", "seven over twenty-five"),
    case("10/2", "ten divided by two"),
    case("24/7", "twenty-four seven"),
    case("50/50", "fifty fifty"),
    case("2 + 2 = 4", "two plus two equals four"),
    case("3 x 4", "three times four"),
    case("3\u00d74", "three times four"),  # the multiplication sign
    case("3 * 4", "three times four"),
    case("3x faster", "three times faster"),
    case("10 / 2", "ten divided by two"),
    case("10 ÷ 2", "ten divided by two"),
    case("2^10", "two to the power of ten"),
    case("3 < 5", "three is less than five"),
    case("5 > 3", "five is greater than three"),
    case("<5 ms", "less than five milliseconds"),
    case("~5 minutes", "about five minutes"),
    case("±3", "plus or minus three"),
    case("pi ≈ 3.14", "pi is about three point one four"),
    case("≈5 km", "about five kilometers"),
    case("C++", "C plus plus"),
    case("x = 5", "x equals five"),
]

WORDS_AND_SYMBOLS = [
    case("e.g. apples", "for example apples"),
    case("e.g., apples", "for example, apples"),
    case("i.e. pears", "that is pears"),
    case("apples, pears, etc.", "apples, pears, et cetera."),
    case("etc., and more", "et cetera, and more"),
    case("cats vs. dogs", "cats versus dogs"),
    case("Dr. Smith", "Doctor Smith"),
    case("Mrs. Brown and Mr. Jones", "Missus Brown and Mister Jones"),
    case("Ms. Lee", "Miz Lee"),
    case("Main St. and St. Louis", "Main St. and St. Louis"),
    case("No. 5", "number five"),
    case("#1 hit", "number one hit"),
    case("w/ milk, w/o sugar", "with milk, without sugar"),
    case("yes/no", "yes or no"),
    case("and/or", "and or"),
    case("Q&A", "Q and A"),
    case("Call 555-123-4567.", "Call five five five, one two three, four five six seven."),
    case("(555) 123-4567", "five five five, one two three, four five six seven"),
    case("555-1234", "five five five, one two three four"),
    case("+44 20 7946 0958", "plus four four, two zero, seven nine four six, zero nine five eight"),
    case("200-1000 calories", "two hundred to one thousand calories"),
    case("250-3000 mg", "two hundred fifty to three thousand milligrams"),
    case("wait…  and   then", "wait... and then"),
    case("Hello , world !", "Hello, world!"),
    case("about 8 billion (2024 est.).", "about eight billion, two thousand twenty-four est."),
    case("Really?! Wait... what?.", "Really?! Wait... what?"),
]


ALL = INTEGERS + YEARS + DECIMALS_AND_ORDINALS + DATES + TIMES + MONEY + MEASURES + FRACTIONS_AND_OPERATORS
ALL += WORDS_AND_SYMBOLS


@pytest.mark.parametrize(("text", "spoken"), ALL)
def test_for_speech(text: str, spoken: str) -> None:
    assert for_speech(text) == spoken


@pytest.mark.parametrize("spoken", sorted({param.values[1] for param in ALL}))
def test_spoken_text_is_left_as_it_is(spoken: str) -> None:
    assert for_speech(spoken) == spoken


@pytest.mark.parametrize(
    ("fragment", "spoken"),
    [
        ("The answer is 1,", "The answer is one,"),
        ("It will cost $", "It will cost"),
        ("and then 3", "and then three"),
        ("**Note", "Note"),
        ("ends here.", "ends here."),
        ("[the docs](https://exa", "the docs, a link"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_fragments_of_a_reply_are_safe(fragment: str, spoken: str) -> None:
    assert for_speech(fragment) == spoken


def test_a_whole_reply_with_lines_is_one_line_with_pauses() -> None:
    reply = "## Pancakes\nYou need:\n- 2 cups flour\n- 1 1/2 cups milk\n1. Mix for 3 min.\n2. Cook at 180°C."
    assert for_speech(reply) == (
        "Pancakes, You need: two cups flour, one and a half cups milk, Mix for three minutes. "
        "Cook at one hundred eighty degrees Celsius."
    )


def test_prosody_punctuation_stays() -> None:
    assert for_speech("Yes, 3 of them. Really? Wow!") == "Yes, three of them. Really? Wow!"
