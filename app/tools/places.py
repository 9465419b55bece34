"""Place names a user may ask the time of, to IANA time zones: tz database cities, big cities, countries."""

from __future__ import annotations

import functools
import zoneinfo

# Big cities that are not tz database names, and countries with one zone; (zone, how to say the place).
_ALIASES: dict[str, tuple[str, str]] = {
    # North America
    "san francisco": ("America/Los_Angeles", "San Francisco"), "seattle": ("America/Los_Angeles", "Seattle"),
    "portland": ("America/Los_Angeles", "Portland"), "san diego": ("America/Los_Angeles", "San Diego"),
    "las vegas": ("America/Los_Angeles", "Las Vegas"), "california": ("America/Los_Angeles", "California"),
    "silicon valley": ("America/Los_Angeles", "Silicon Valley"), "san jose": ("America/Los_Angeles", "San Jose"),
    "hollywood": ("America/Los_Angeles", "Hollywood"), "la": ("America/Los_Angeles", "LA"),
    "washington": ("America/New_York", "Washington"), "washington dc": ("America/New_York", "Washington, D.C."),
    "dc": ("America/New_York", "Washington, D.C."), "boston": ("America/New_York", "Boston"),
    "miami": ("America/New_York", "Miami"), "atlanta": ("America/New_York", "Atlanta"),
    "philadelphia": ("America/New_York", "Philadelphia"), "orlando": ("America/New_York", "Orlando"),
    "nyc": ("America/New_York", "New York"), "new york city": ("America/New_York", "New York"),
    "manhattan": ("America/New_York", "New York"), "brooklyn": ("America/New_York", "Brooklyn"),
    "florida": ("America/New_York", "Florida"), "baltimore": ("America/New_York", "Baltimore"),
    "pittsburgh": ("America/New_York", "Pittsburgh"), "charlotte": ("America/New_York", "Charlotte"),
    "dallas": ("America/Chicago", "Dallas"), "houston": ("America/Chicago", "Houston"),
    "austin": ("America/Chicago", "Austin"), "san antonio": ("America/Chicago", "San Antonio"),
    "texas": ("America/Chicago", "Texas"), "new orleans": ("America/Chicago", "New Orleans"),
    "minneapolis": ("America/Chicago", "Minneapolis"), "st louis": ("America/Chicago", "St. Louis"),
    "saint louis": ("America/Chicago", "St. Louis"), "nashville": ("America/Chicago", "Nashville"),
    "kansas city": ("America/Chicago", "Kansas City"), "milwaukee": ("America/Chicago", "Milwaukee"),
    "memphis": ("America/Chicago", "Memphis"), "oklahoma city": ("America/Chicago", "Oklahoma City"),
    "cleveland": ("America/New_York", "Cleveland"), "columbus": ("America/New_York", "Columbus"),
    "salt lake city": ("America/Denver", "Salt Lake City"), "colorado": ("America/Denver", "Colorado"),
    "arizona": ("America/Phoenix", "Arizona"), "hawaii": ("Pacific/Honolulu", "Hawaii"),
    "alaska": ("America/Anchorage", "Alaska"), "montreal": ("America/Toronto", "Montreal"),
    "ottawa": ("America/Toronto", "Ottawa"), "quebec": ("America/Toronto", "Quebec"),
    "calgary": ("America/Edmonton", "Calgary"), "ontario": ("America/Toronto", "Ontario"),
    # Europe, Africa, the Middle East
    "munich": ("Europe/Berlin", "Munich"), "frankfurt": ("Europe/Berlin", "Frankfurt"),
    "hamburg": ("Europe/Berlin", "Hamburg"), "cologne": ("Europe/Berlin", "Cologne"),
    "milan": ("Europe/Rome", "Milan"), "venice": ("Europe/Rome", "Venice"), "florence": ("Europe/Rome", "Florence"),
    "naples": ("Europe/Rome", "Naples"), "barcelona": ("Europe/Madrid", "Barcelona"),
    "seville": ("Europe/Madrid", "Seville"), "geneva": ("Europe/Zurich", "Geneva"),
    "edinburgh": ("Europe/London", "Edinburgh"), "manchester": ("Europe/London", "Manchester"),
    "glasgow": ("Europe/London", "Glasgow"), "liverpool": ("Europe/London", "Liverpool"),
    "birmingham": ("Europe/London", "Birmingham"), "cardiff": ("Europe/London", "Cardiff"),
    "belfast": ("Europe/London", "Belfast"), "lyon": ("Europe/Paris", "Lyon"),
    "marseille": ("Europe/Paris", "Marseille"),
    "nice": ("Europe/Paris", "Nice"), "rotterdam": ("Europe/Amsterdam", "Rotterdam"),
    "the hague": ("Europe/Amsterdam", "The Hague"), "krakow": ("Europe/Warsaw", "Krakow"),
    "st petersburg": ("Europe/Moscow", "St. Petersburg"), "saint petersburg": ("Europe/Moscow", "St. Petersburg"),
    "kiev": ("Europe/Kyiv", "Kyiv"), "tel aviv": ("Asia/Jerusalem", "Tel Aviv"),
    "abu dhabi": ("Asia/Dubai", "Abu Dhabi"), "doha": ("Asia/Qatar", "Doha"), "mecca": ("Asia/Riyadh", "Mecca"),
    "jeddah": ("Asia/Riyadh", "Jeddah"), "cape town": ("Africa/Johannesburg", "Cape Town"),
    "marrakech": ("Africa/Casablanca", "Marrakech"), "abuja": ("Africa/Lagos", "Abuja"),
    "ankara": ("Europe/Istanbul", "Ankara"),
    # Asia, Oceania, South America
    "beijing": ("Asia/Shanghai", "Beijing"), "shenzhen": ("Asia/Shanghai", "Shenzhen"),
    "guangzhou": ("Asia/Shanghai", "Guangzhou"), "delhi": ("Asia/Kolkata", "Delhi"),
    "new delhi": ("Asia/Kolkata", "New Delhi"), "mumbai": ("Asia/Kolkata", "Mumbai"),
    "bombay": ("Asia/Kolkata", "Mumbai"), "bangalore": ("Asia/Kolkata", "Bangalore"),
    "bengaluru": ("Asia/Kolkata", "Bengaluru"), "chennai": ("Asia/Kolkata", "Chennai"),
    "hyderabad": ("Asia/Kolkata", "Hyderabad"), "pune": ("Asia/Kolkata", "Pune"),
    "osaka": ("Asia/Tokyo", "Osaka"), "kyoto": ("Asia/Tokyo", "Kyoto"), "busan": ("Asia/Seoul", "Busan"),
    "hanoi": ("Asia/Bangkok", "Hanoi"), "saigon": ("Asia/Ho_Chi_Minh", "Ho Chi Minh City"),
    "ho chi minh city": ("Asia/Ho_Chi_Minh", "Ho Chi Minh City"), "islamabad": ("Asia/Karachi", "Islamabad"),
    "lahore": ("Asia/Karachi", "Lahore"), "bali": ("Asia/Makassar", "Bali"), "phuket": ("Asia/Bangkok", "Phuket"),
    "canberra": ("Australia/Sydney", "Canberra"), "wellington": ("Pacific/Auckland", "Wellington"),
    "rio": ("America/Sao_Paulo", "Rio"), "rio de janeiro": ("America/Sao_Paulo", "Rio de Janeiro"),
    "brasilia": ("America/Sao_Paulo", "Brasilia"), "medellin": ("America/Bogota", "Medellin"),
    # Countries, states and regions with a single zone
    "japan": ("Asia/Tokyo", "Japan"), "france": ("Europe/Paris", "France"), "germany": ("Europe/Berlin", "Germany"),
    "uk": ("Europe/London", "the UK"), "united kingdom": ("Europe/London", "the United Kingdom"),
    "britain": ("Europe/London", "Britain"), "great britain": ("Europe/London", "Great Britain"),
    "england": ("Europe/London", "England"), "scotland": ("Europe/London", "Scotland"),
    "wales": ("Europe/London", "Wales"), "ireland": ("Europe/Dublin", "Ireland"), "india": ("Asia/Kolkata", "India"),
    "china": ("Asia/Shanghai", "China"), "italy": ("Europe/Rome", "Italy"), "spain": ("Europe/Madrid", "Spain"),
    "egypt": ("Africa/Cairo", "Egypt"), "kenya": ("Africa/Nairobi", "Kenya"), "nigeria": ("Africa/Lagos", "Nigeria"),
    "south africa": ("Africa/Johannesburg", "South Africa"), "korea": ("Asia/Seoul", "Korea"),
    "south korea": ("Asia/Seoul", "South Korea"), "north korea": ("Asia/Pyongyang", "North Korea"),
    "israel": ("Asia/Jerusalem", "Israel"), "turkey": ("Europe/Istanbul", "Turkey"),
    "greece": ("Europe/Athens", "Greece"), "netherlands": ("Europe/Amsterdam", "the Netherlands"),
    "holland": ("Europe/Amsterdam", "Holland"), "belgium": ("Europe/Brussels", "Belgium"),
    "switzerland": ("Europe/Zurich", "Switzerland"), "austria": ("Europe/Vienna", "Austria"),
    "sweden": ("Europe/Stockholm", "Sweden"), "norway": ("Europe/Oslo", "Norway"),
    "denmark": ("Europe/Copenhagen", "Denmark"), "finland": ("Europe/Helsinki", "Finland"),
    "poland": ("Europe/Warsaw", "Poland"), "portugal": ("Europe/Lisbon", "Portugal"),
    "czech republic": ("Europe/Prague", "the Czech Republic"), "czechia": ("Europe/Prague", "Czechia"),
    "hungary": ("Europe/Budapest", "Hungary"), "ukraine": ("Europe/Kyiv", "Ukraine"),
    "romania": ("Europe/Bucharest", "Romania"), "new zealand": ("Pacific/Auckland", "New Zealand"),
    "thailand": ("Asia/Bangkok", "Thailand"), "vietnam": ("Asia/Ho_Chi_Minh", "Vietnam"),
    "philippines": ("Asia/Manila", "the Philippines"), "pakistan": ("Asia/Karachi", "Pakistan"),
    "bangladesh": ("Asia/Dhaka", "Bangladesh"), "saudi arabia": ("Asia/Riyadh", "Saudi Arabia"),
    "uae": ("Asia/Dubai", "the UAE"), "united arab emirates": ("Asia/Dubai", "the United Arab Emirates"),
    "qatar": ("Asia/Qatar", "Qatar"), "iran": ("Asia/Tehran", "Iran"), "iraq": ("Asia/Baghdad", "Iraq"),
    "argentina": ("America/Argentina/Buenos_Aires", "Argentina"), "colombia": ("America/Bogota", "Colombia"),
    "peru": ("America/Lima", "Peru"), "venezuela": ("America/Caracas", "Venezuela"), "cuba": ("America/Havana", "Cuba"),
    "jamaica": ("America/Jamaica", "Jamaica"), "iceland": ("Atlantic/Reykjavik", "Iceland"),
    "taiwan": ("Asia/Taipei", "Taiwan"), "malaysia": ("Asia/Kuala_Lumpur", "Malaysia"),
    "morocco": ("Africa/Casablanca", "Morocco"), "ethiopia": ("Africa/Addis_Ababa", "Ethiopia"),
    "ghana": ("Africa/Accra", "Ghana"), "nepal": ("Asia/Kathmandu", "Nepal"),
    "sri lanka": ("Asia/Colombo", "Sri Lanka"),
    "bahamas": ("America/Nassau", "the Bahamas"),
    "dominican republic": ("America/Santo_Domingo", "the Dominican Republic"),
    "cyprus": ("Asia/Nicosia", "Cyprus"), "lebanon": ("Asia/Beirut", "Lebanon"), "jordan": ("Asia/Amman", "Jordan"),
    "syria": ("Asia/Damascus", "Syria"), "afghanistan": ("Asia/Kabul", "Afghanistan"),
    "uzbekistan": ("Asia/Tashkent", "Uzbekistan"), "myanmar": ("Asia/Yangon", "Myanmar"),
    "cambodia": ("Asia/Phnom_Penh", "Cambodia"), "laos": ("Asia/Vientiane", "Laos"),
    "tanzania": ("Africa/Dar_es_Salaam", "Tanzania"), "uganda": ("Africa/Kampala", "Uganda"),
    "algeria": ("Africa/Algiers", "Algeria"), "tunisia": ("Africa/Tunis", "Tunisia"),
    "senegal": ("Africa/Dakar", "Senegal"), "zimbabwe": ("Africa/Harare", "Zimbabwe"),
    "ecuador": ("America/Guayaquil", "Ecuador"), "bolivia": ("America/La_Paz", "Bolivia"),
    "uruguay": ("America/Montevideo", "Uruguay"), "paraguay": ("America/Asuncion", "Paraguay"),
    "serbia": ("Europe/Belgrade", "Serbia"), "croatia": ("Europe/Zagreb", "Croatia"),
    "bulgaria": ("Europe/Sofia", "Bulgaria"), "slovakia": ("Europe/Bratislava", "Slovakia"),
    "slovenia": ("Europe/Ljubljana", "Slovenia"), "estonia": ("Europe/Tallinn", "Estonia"),
    "latvia": ("Europe/Riga", "Latvia"), "lithuania": ("Europe/Vilnius", "Lithuania"),
    "belarus": ("Europe/Minsk", "Belarus"),
    "puerto rico": ("America/Puerto_Rico", "Puerto Rico"), "new york state": ("America/New_York", "New York State"),
}

MULTI_ZONE = {
    "us": "the United States", "usa": "the United States", "united states": "the United States",
    "united states of america": "the United States", "america": "America", "canada": "Canada", "russia": "Russia",
    "australia": "Australia", "brazil": "Brazil", "mexico": "Mexico", "indonesia": "Indonesia",
    "kazakhstan": "Kazakhstan", "chile": "Chile",
}
"""Countries whose time depends on where in them: the user must name a city."""

# Antarctica's stations carry people's names (Casey, Davis, Palmer); nobody asks for their time.
_AREAS = ("Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@functools.cache
def _table() -> dict[str, tuple[str, str]]:
    """Every known place (lowercase, spaces), to (zone, display name)."""
    zones = zoneinfo.available_timezones()
    table: dict[str, tuple[str, str]] = {}
    for zone in sorted(zones):
        parts = zone.split("/")
        if parts[0] in _AREAS and len(parts) > 1:
            display = parts[-1].replace("_", " ")
            table.setdefault(display.lower().replace("-", " ").replace(".", ""), (zone, display))
    kyiv = "Europe/Kyiv" if "Europe/Kyiv" in zones else "Europe/Kiev"  # renamed in tzdata 2022b
    for name, (zone, display) in _ALIASES.items():
        table[name] = (kyiv if zone == "Europe/Kyiv" else zone, display)
    return table


def _lookup(name: str) -> tuple[str, str] | None:
    # "Kansas City" is an alias, "Mexico City" a tz name, "the Faroe Islands" the tz name "Faroe".
    for candidate in (name, name.removesuffix(" city"), name.removesuffix(" islands"), name.removesuffix(" island")):
        if candidate in _table():
            return _table()[candidate]
    return None


def find_place(name: str) -> tuple[str, str] | None:
    """(IANA zone, display name) of the normalized place ``name`` ("new york", "the uk", "paris france"), or None.

    "City Country" takes the country's zone when it has one ("san jose costa rica" is not California), the
    city's when the country has several ("vancouver canada"); an unknown country means an unknown place.
    """
    name = name.removeprefix("the ").strip()
    found = _lookup(name)
    if found is not None:
        return found
    words = name.split()
    for cut in range(len(words) - 1, 0, -1):
        city, country = _lookup(" ".join(words[:cut])), " ".join(words[cut:]).removeprefix("the ")
        if city is None:
            continue
        region = _lookup(country)
        if region is not None:
            return region[0], f"{city[1]}, {region[1]}"
        if country in MULTI_ZONE:
            return city[0], f"{city[1]}, {MULTI_ZONE[country]}"
    return None


def multi_zone_country(name: str) -> str | None:
    """The display name of ``name`` when it is a country with several zones ("the United States"), else None."""
    return MULTI_ZONE.get(name.removeprefix("the ").strip())
