"""The endpointing prompt list: 32 spoken requests, split once and for all into ``tune`` and ``holdout``.

The server's endpointing (pause lengths, thresholds) is calibrated on ``TUNE_PROMPTS`` only;
``HOLDOUT_PROMPTS`` checks that the calibration generalizes, so never tune on it. The split is
fixed by these two literal lists (not drawn at random): each half has 16 requests of the same mix
(questions, commands, facts, small talk) and 6 with a 0.5-0.8 s pause inside the sentence after
an unfinished-sounding (or deceptively complete) phrase, with the same pause lengths in both halves.

None of these is in ``DEFAULT_PROMPTS`` (the headline latency set). As there, the wording avoids
digits and number words: Whisper writes numbers as digits, which would show up as WER that says
nothing about recognition.
"""

from __future__ import annotations

from client.benchmark.prompts import Prompt

TUNE_PROMPTS: tuple[Prompt, ...] = (
    Prompt("sky_blue", ("Could you tell me", "why the sky is blue?"), (0.6,)),
    Prompt("shopping_list", ("Add milk and eggs", "to my shopping list."), (0.7,)),
    Prompt("chicken_rice", ("I need a recipe for dinner", "that uses chicken and rice."), (0.5,)),
    Prompt("guitar", ("So, um, what do you think", "about learning the guitar?"), (0.8,)),
    Prompt("picnic", ("Can you help me plan", "a picnic for the weekend?"), (0.7,)),
    Prompt("wake_early", ("Wake me up early", "on Saturday morning."), (0.6,)),
    Prompt("cat_name", ("What's a good name for a black cat?",)),
    Prompt("music_down", ("Turn the music down a little.",)),
    Prompt("honey_bees", ("Tell me something interesting about honey bees.",)),
    Prompt("evening", ("How are you doing this evening?",)),
    Prompt("koala", ("What does a koala eat?",)),
    Prompt("jazz", ("Play some relaxing jazz in the living room.",)),
    Prompt("mona_lisa", ("Who painted the Mona Lisa?",)),
    Prompt("leaves_fall", ("Why do leaves turn red in the fall?",)),
    Prompt("thanks", ("Thanks, that was really helpful.",)),
    Prompt("front_door", ("Lock the front door, please.",)),
)
"""Calibrate the server's endpointing on these."""

HOLDOUT_PROMPTS: tuple[Prompt, ...] = (
    Prompt("water_plants", ("Remind me to water the plants", "before I go to bed."), (0.6,)),
    Prompt("london_edinburgh", ("How far is it", "from London to Edinburgh?"), (0.5,)),
    Prompt("movie_tonight", ("I was thinking about a movie", "for tonight, any suggestions?"), (0.7,)),
    Prompt("new_language", ("What's the best way", "to learn a new language?"), (0.8,)),
    Prompt("message_tom", ("Send a message to Tom", "saying I'll be late."), (0.6,)),
    Prompt("grandmother_gift", ("Could you suggest a gift", "for my grandmother's birthday?"), (0.7,)),
    Prompt("australia", ("What's the capital of Australia?",)),
    Prompt("bedroom_lights", ("Dim the bedroom lights.",)),
    Prompt("penguin_joke", ("Tell me a joke about penguins.",)),
    Prompt("volcanoes", ("How do volcanoes form?",)),
    Prompt("rain_tomorrow", ("Is it going to rain tomorrow?",)),
    Prompt("garage_door", ("Open the garage door.",)),
    Prompt("cats_purr", ("Why do cats purr?",)),
    Prompt("good_morning", ("Good morning, how did you sleep?",)),
    Prompt("frog_toad", ("What's the difference between a frog and a toad?",)),
    Prompt("pause_podcast", ("Pause the podcast.",)),
)
"""Never calibrate on these: they say whether the tuning generalizes."""

HALVES: dict[str, tuple[Prompt, ...]] = {"tune": TUNE_PROMPTS, "holdout": HOLDOUT_PROMPTS}
