"""Question banks in and out: Moodle GIFT and Aiken, Red-DiscordBot trivia lists (import), and exports."""
