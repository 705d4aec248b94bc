-- The order a post shows its options in: the written index of the option at each shown place, as digits
-- ("2031" shows the third written option first). NULL shows them as written (true/false, fixed order,
-- challenges, and every post made before options were shuffled). correct_option and answers.choice are
-- shown places, so scoring never needs the order; reports use it to count by written option.
ALTER TABLE posts ADD COLUMN option_order TEXT CHECK (option_order IS NULL OR length(option_order) = option_count);
