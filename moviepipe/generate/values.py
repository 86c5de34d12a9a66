"""Vocabularies and distributions of the synthetic source, measured on the real ``movies.db``.

Every rate and quantile table below was measured on bokeh-sampledata's movies.db
(17,472 films) by ``tests/generate/measure.py``; ``tests/generate/test_values.py``
re-measures the real file and fails if a constant here drifts from it. The word
and name lists are invented (a few hundred entries, accented ones included) so
that no real title or person is copied.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- #
# Rates (share of films), measured
# --------------------------------------------------------------------------- #

#: Released stored as YYYY-01-01 because only the year is known (11,468 of 17,472).
YEAR_ONLY_RELEASE = 0.6564
#: Films sharing their imdbID with exactly one other film (2 shared ids = 4 of 17,472 films).
SHARED_IMDB_ID = 4 / 17_472
#: imdbIDs with 8 digits instead of 7 (3 of 17,472).
EIGHT_DIGIT_IMDB_ID = 3 / 17_472
#: Titles with a non-ASCII character ("8½", "Sátántangó").
NON_ASCII_TITLE = 0.0102
#: Per person name, calibrated so that, as measured, 24.8% of films have a non-ASCII name in their cast.
NON_ASCII_PERSON = 0.029

NULL_RATE = {  # column -> share of NULLs
    "omdb.Rating": 0.8530, "omdb.Runtime": 0.0743, "omdb.Writer": 0.2143, "omdb.Metacritic": 0.6102,
    "omdb.imdbRating": 1.0, "omdb.imdbVotes": 1.0, "omdb.Language": 0.0115, "omdb.Country": 0.0002,
    "omdb.Awards": 0.8772,
    "tomatoes.Rating": 0.0196, "tomatoes.Meter": 0.0011, "tomatoes.Reviews": 0.0002,
    "tomatoes.BoxOffice": 0.8420, "tomatoes.Production": 0.4773,
}
EMPTY_RATE = {  # missing list columns are stored as '' rather than NULL
    "omdb.Genre": 0.0254, "omdb.Director": 0.0038, "omdb.Cast": 0.1014,
}
#: Always NULL in the real file: Image, Consensus, userMeter, userRating, userReviews, DVD, Website.

# --------------------------------------------------------------------------- #
# Numbers: inverse CDFs as (percentile, value) tables, measured
# --------------------------------------------------------------------------- #

PERCENTILES = (0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100)
QUANTILES = {
    "Runtime": (1, 70, 80, 84, 91, 100, 112, 126, 138, 175, 250, 776),
    "Metacritic": (1, 16, 27, 33, 45, 59, 72, 82, 87, 95, 100, 100),
    "Reviews": (5, 5, 5, 6, 11, 24, 61, 132, 171, 250, 335, 388),
    "Meter": (0, 0, 11, 18, 40, 67, 85, 94, 100, 100, 100, 100),
    # log10 of BoxOffice: 7.386 .. 2.847e9
    "log10 BoxOffice": (0.868, 4.772, 5.841, 6.27, 6.903, 7.594, 8.218, 8.535, 8.693, 8.978, 9.141, 9.454),
    "Cast size": (1, 1, 1, 3, 6, 11, 16, 23, 29, 45, 75, 124),
}
#: tomatoes.Rating follows Meter (correlation 0.93): Rating = a + b * Meter + N(0, sd), 0.9..10.
TOMATO_RATING_FIT = (3.16, 0.0468, 0.53)

#: Films per release year, 1940..2014.
YEAR_FIRST = 1940
YEAR_COUNTS = (
    56, 42, 49, 35, 48, 41, 52, 55, 53, 40, 76, 56, 56, 65, 63, 67, 63, 68, 77, 74,
    85, 67, 75, 89, 98, 88, 93, 99, 100, 99, 96, 131, 116, 110, 109, 105, 107, 117, 116, 110,
    141, 145, 148, 153, 163, 186, 185, 228, 234, 219, 218, 222, 243, 275, 279, 288, 328, 349, 375, 381,
    427, 460, 504, 464, 513, 557, 651, 670, 625, 662, 659, 721, 806, 895, 952,
)
#: Oscars won: count of films with 0, 1, 2, ... 10.
OSCAR_COUNTS = (16_762, 454, 131, 64, 26, 17, 9, 5, 2, 1, 1)

#: lastUpdated is one date in the real file (2026-10-18); synthetic films spread over years,
#: so that an incremental extraction has a real range to work on.
LAST_UPDATED_RANGE = ("2016-01-01", "2026-10-18")

# --------------------------------------------------------------------------- #
# Categories with measured weights
# --------------------------------------------------------------------------- #

MPAA_RATINGS = {"R": 1124, "PG": 644, "PG-13": 525, "G": 205, "NC-17": 42, "M/PG": 11, "GP": 10, "M": 6, "X": 1}
GENRES = {
    "Drama": 8925, "Comedy": 5568, "Romance": 2666, "Action": 2359, "Crime": 2201, "Thriller": 2051,
    "Horror": 1922, "Documentary": 1597, "Sci-Fi": 1203, "Fantasy": 1191, "Adventure": 914, "Musical": 819,
    "Biography": 817, "Mystery": 769, "War": 589, "Family": 527, "Animation": 419, "Western": 311,
    "Sport": 293, "History": 288, "Music": 40,
}
LANGUAGES = {
    "English": 14369, "French": 1246, "Spanish": 554, "German": 415, "Italian": 369, "Japanese": 318,
    "Hindi": 204, "Russian": 200, "Arabic": 122, "Hebrew": 115, "Cantonese": 107, "Korean": 97,
    "Mandarin": 96, "Swedish": 87, "Portuguese": 83, "Persian": 62, "Standard Chinese": 59, "Danish": 48,
    "Dutch": 44, "Polish": 40, "Norwegian": 36, "Thai": 33, "Romanian": 32, "Hungarian": 31,
    "Turkish": 27, "Icelandic": 21, "Greek": 14, "Māori": 4, "Iñupiaq": 1,
}
COUNTRIES = {
    "United States": 12045, "United Kingdom": 2450, "France": 1964, "Germany": 960, "Canada": 778,
    "Italy": 693, "Australia": 475, "Japan": 366, "Spain": 327, "India": 246, "Belgium": 189, "Mexico": 165,
    "Hong Kong": 157, "Sweden": 155, "People's Republic of China": 154, "Denmark": 144, "Ireland": 143,
    "Switzerland": 122, "Netherlands": 117, "South Korea": 101, "Israel": 95, "Austria": 84,
    "Argentina": 80, "Russia": 73, "Norway": 72, "Iceland": 26, "Ivory Coast": 1,
}
#: Names per film in a list column: count of films with 1, 2, 3, ... names (measured).
LIST_SIZES = {
    "Genre": (6386, 5654, 3136, 1221, 400, 156, 66, 6, 3, 1),
    "Director": (16279, 967, 97, 21, 8, 5, 8, 6, 2, 3),
    "Writer": (9014, 3114, 1037, 350, 119, 47, 17, 9, 8, 4),
    "Language": (15808, 997, 302, 103, 34, 14, 4, 6, 3),
    "Country": (13566, 2619, 873, 269, 97, 26, 11, 4, 2, 0, 2),
    "Production": (6200, 1746, 693, 311, 105, 43, 16, 10, 4, 1, 2),
}

# --------------------------------------------------------------------------- #
# Invented vocabularies
# --------------------------------------------------------------------------- #

TITLE_WORDS = tuple("""
Night Day Dark Light Last First Lost Found Love War Blood Stone Iron Silver Golden Black White Red Blue Green
River Road City Town House Home Garden Island Mountain Valley Desert Ocean Sea Sky Star Moon Sun Storm Rain
Fire Ice Wind Shadow Ghost Angel Devil King Queen Prince Princess Man Woman Girl Boy Child Children Mother
Father Brother Sister Friend Stranger Killer Hunter Soldier Doctor Lawyer Thief Spy Detective Captain
Secret Silent Wild Broken Hidden Dangerous Beautiful Perfect Little Big Great Long Short Deep High Cold Hot
Summer Winter Spring Autumn Morning Evening Midnight Tomorrow Yesterday Forever Never Always Once Again
Dream Dreams Heart Hearts Soul Mind Eye Eyes Hand Hands Face Voice Song Dance Game Games Story Tale Legend
Journey Return Escape Revenge Rescue Promise Secret Truth Lies Life Death Time Money Power Glory Honor
Paradise Heaven Hell Empire Kingdom Republic Nation Street Avenue Station Hotel Diner Bridge Tower Castle
Machine Planet Galaxy Signal Code Zero One Two Three Seven Hundred Thousand Million American English French
""".split())
ACCENTED_TITLE_WORDS = (
    "Amélie", "Sátántangó", "Señor", "Niño", "Café", "Déjà", "Vu", "Über", "Fräulein", "Mädchen",
    "Élan", "Crème", "Brûlée", "Noël", "Zoë", "Ça", "Façade", "Björk", "Smörgåsbord", "Łódź",
    "Kraków", "Málaga", "São", "Paulo", "Göteborg", "Øresund", "Šumava", "Ørsted", "8½", "Æther",
    "Żywot", "Izmir'de", "Ödön", "Rêve", "Soirée",
)
TITLE_PATTERNS = ("{a}", "{a} {b}", "The {a}", "The {a} {b}", "{a} of the {b}", "{a} and {b}",
                  "A {a} for {b}", "{a}: {b}", "{a} {b} {c}", "The {a} of {b}", "{a}'s {b}", "{a} in {b}")
TITLE_SUFFIXES = ("", "", "", "", "", "", "", " II", " 2", " 3", ": Part One", ": Part Two", " Returns",
                  " Forever", ": The Beginning", " Rising", " Reloaded", " Again")

FIRST_NAMES = tuple("""
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony Mark
Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan Jacob
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret Sandra
Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah Stephanie Rebecca Sharon Laura
Cynthia Kathleen Amy Angela Anna Brenda Emma Olivia Sophia Isabella Grace Claire Julia Alice Marie Paula
Hiroshi Yuki Akira Kenji Mei Wei Ravi Priya Arjun Omar Fatima Leila Ivan Olga Pavel Sven Lars Ingrid
""".split())
ACCENTED_FIRST_NAMES = ("Éric", "Étienne", "Amélie", "Zoë", "Björn", "Søren", "Joaquín", "Inés", "José",
                        "François", "Hélène", "Gérard", "Jürgen", "Łukasz", "Ólafur", "Ştefan", "Dóra", "Renée",
                        "Chloé", "Mónica", "Thérèse", "Kristóf", "Åsa", "Jiří", "Zoltán")
LAST_NAMES = tuple("""
Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson Thompson
White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill Green Adams Baker Nelson Carter
Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart Morris Rogers Reed Cook Morgan
Bell Murphy Bailey Cooper Richardson Cox Howard Ward Peterson Gray James Watson Brooks Kelly Sanders Price
Bennett Wood Barnes Ross Henderson Coleman Jenkins Perry Powell Long Patterson Hughes Flores Washington
Butler Simmons Foster Bryant Alexander Russell Griffin Hayes Myers Ford Hamilton Graham Sullivan Wallace
Tanaka Suzuki Kim Park Chen Wang Singh Kumar Rossi Bianchi Dubois Moreau Schmidt Weber Novak Kowalski
""".split())
ACCENTED_LAST_NAMES = ("Gonzáles", "Müller", "Lefèvre", "Sánchez", "Pérez", "Martínez", "Björnsson",
                       "Ólafsson", "Gárdos", "Wertmüller", "Bénichou", "Solivérès", "Kieślowski", "Dvořák",
                       "Håkansson", "Çelik", "Öztürk", "Núñez", "Jørgensen", "Štěpánek", "Lindström",
                       "Rodríguez", "Gómez", "Fernández", "Hernández")
PRODUCTION_COMPANIES = (
    "20th Century Studios", "Paramount Pictures", "Metro-Goldwyn-Mayer", "Universal Pictures",
    "Warner Bros.", "Columbia Pictures", "Walt Disney Pictures", "United Artists", "Lionsgate", "Miramax",
    "New Line Cinema", "DreamWorks Pictures", "Gaumont", "Pathé", "TF1", "StudioCanal", "Canal+", "BBC Films",
    "Film4", "Working Title Films", "Toho", "Shochiku", "Nikkatsu", "Constantin Film", "Medusa Film",
    "Rai Cinema", "Svensk Filmindustri", "Nordisk Film", "Zentropa", "Amblin Entertainment",
    "Castle Rock Entertainment", "Legendary Pictures", "Blumhouse Productions", "A24", "Focus Features",
    "Österreichischer Rundfunk", "Télévision Française 1", "Société Radio-Canada", "Filmes do Tejo",
    "Zespół Filmowy Tor", "01 Distribution",
)
