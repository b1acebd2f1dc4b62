def minutes(text):
    """"09:30" -> 570."""
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)
