"""Free text: scrubbing personal data out of it, suggesting themes, and search terms.

Pure functions over strings, built on small well-kept libraries (phonenumbers, the Snowball
stemmer); kept out of the domain, which imports the standard library only."""
