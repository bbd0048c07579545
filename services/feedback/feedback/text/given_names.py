"""Common given names in the UK, of many origins, that the scrubber takes for a name on sight.

Hand-written and deliberately modest: it catches the names people most often mention in
feedback (staff, relatives), not every name. Left out on purpose are names that are also
months or everyday words (May, June, April, August, Will, Mark, Bill, Pat, Sue, Rob, Grace,
Hope, Faith, Joy, Dawn, Frank, Rose, Holly, Lily, Poppy, Daisy, Ruby, Amber, Jade, Summer,
Christian, Guy, Drew, Jan) and names that are mostly places (Jordan, Chelsea, India, Devon):
those count as names only after a title or a cue such as "my daughter".
"""

GIVEN_NAMES: frozenset[str] = frozenset({
    # English, Scottish and Welsh, women
    "Abigail", "Alice", "Alison", "Amanda", "Amelia", "Amy", "Angela", "Ann", "Anna", "Anne",
    "Ava", "Barbara", "Beth", "Bethany", "Brenda", "Carys", "Catherine", "Cerys", "Charlotte",
    "Chloe", "Christine", "Claire", "Deborah", "Denise", "Diane", "Doris", "Dorothy", "Edith",
    "Eilidh", "Eleanor", "Elaine", "Elizabeth", "Ella", "Elsie", "Emily", "Emma", "Evelyn",
    "Evie", "Ffion", "Fiona", "Florence", "Freya", "Gemma", "Gillian", "Gwen", "Hannah",
    "Harper", "Helen", "Irene", "Isabella", "Isla", "Jane", "Janet", "Jean", "Jennifer",
    "Jessica", "Jo", "Joan", "Joanne", "Joyce", "Julie", "Karen", "Kate", "Katherine", "Katie",
    "Kirsty", "Laura", "Lauren", "Leah", "Lesley", "Linda", "Lisa", "Louise", "Lucy", "Maisie",
    "Margaret", "Mary", "Matilda", "Maureen", "Megan", "Mhairi", "Mia", "Michelle", "Millie",
    "Natalie", "Nicola", "Olivia", "Patricia", "Pauline", "Phoebe", "Rachel", "Rebecca",
    "Rhian", "Sandra", "Sarah", "Scarlett", "Seren", "Sheila", "Sian", "Siân", "Sophia",
    "Sophie", "Susan", "Tracey", "Tracy", "Valerie", "Wendy", "Yvonne", "Zoe", "Zoë",
    # English, Scottish and Welsh, men
    "Aaron", "Adam", "Alan", "Albert", "Alexander", "Alfie", "Alistair", "Andrew", "Andy",
    "Angus", "Anthony", "Archie", "Arthur", "Barry", "Ben", "Benjamin", "Brian", "Callum",
    "Charlie", "Chris", "Christopher", "Colin", "Craig", "Dafydd", "Daniel", "Darren", "Dave",
    "David", "Dennis", "Derek", "Duncan", "Dylan", "Edward", "Ethan", "Euan", "Ewan", "Fraser",
    "Freddie", "Gareth", "Gary", "Geoffrey", "George", "Geraint", "Gordon", "Graham", "Hamish",
    "Harold", "Harry", "Henry", "Huw", "Ian", "Isaac", "Jack", "Jacob", "James", "Jamie",
    "John", "Jonathan", "Joseph", "Joshua", "Keith", "Kenneth", "Kevin", "Leo", "Lewis",
    "Luke", "Malcolm", "Martin", "Matthew", "Michael", "Neil", "Nathan", "Nicholas", "Noah",
    "Oliver", "Oscar", "Owain", "Paul", "Peter", "Philip", "Raymond", "Rhys", "Richard",
    "Robert", "Roger", "Ronald", "Ryan", "Samuel", "Scott", "Sebastian", "Simon", "Stanley",
    "Stephen", "Steve", "Steven", "Stuart", "Teddy", "Theo", "Thomas", "Tom", "Tommy", "Tony",
    "Trevor", "Walter", "William",
    # Irish
    "Aisling", "Aoife", "Caoimhe", "Ciara", "Ciaran", "Ciarán", "Conor", "Declan", "Eoin",
    "Niall", "Niamh", "Oisin", "Orla", "Padraig", "Roisin", "Róisín", "Saoirse", "Seamus",
    "Sean", "Seán", "Siobhan", "Siobhán", "Sinead", "Sinéad",
    # South Asian
    "Aarav", "Amit", "Anil", "Anita", "Anjali", "Arjun", "Deepa", "Gurpreet", "Harjit",
    "Harpreet", "Jaspreet", "Jaswinder", "Kavita", "Kuldeep", "Manpreet", "Meera", "Navdeep",
    "Neha", "Pooja", "Pradeep", "Priya", "Rahul", "Rajesh", "Rajinder", "Ramesh", "Ravi",
    "Rohan", "Sandeep", "Sanjay", "Simran", "Sunil", "Sunita", "Suresh", "Vijay", "Vikram",
    # Muslim, Arabic, Turkish and Somali
    "Abdi", "Abdul", "Abdullah", "Ahmad", "Ahmed", "Aisha", "Ali", "Amina", "Arif", "Asif",
    "Ayaan", "Ayesha", "Bilal", "Elif", "Emre", "Faisal", "Farah", "Farhan", "Fatima",
    "Hamza", "Hassan", "Hodan", "Hussain", "Ibrahim", "Imran", "Irfan", "Ismail", "Kamran",
    "Karim", "Khadija", "Khalid", "Layla", "Leila", "Mariam", "Maryam", "Mehmet", "Mohamed",
    "Mohammad", "Mohammed", "Muhammad", "Mustafa", "Nadeem", "Nasreen", "Noor", "Omar",
    "Parveen", "Rashid", "Rizwan", "Rukhsana", "Sadia", "Samina", "Shabana", "Shahid",
    "Shazia", "Tariq", "Umar", "Usman", "Yasmin", "Yusuf", "Zainab", "Zara", "Zeynep",
    # West African
    "Abena", "Adaeze", "Adebayo", "Ayodele", "Babajide", "Chidi", "Chinedu", "Chioma",
    "Chukwuemeka", "Emeka", "Femi", "Folake", "Funmilayo", "Ifeoma", "Kofi", "Kwabena",
    "Kwame", "Ngozi", "Nkechi", "Obinna", "Olumide", "Oluwaseun", "Oluwatobi", "Segun",
    "Temitope", "Tunde", "Yetunde",
    # Caribbean British
    "Beverley", "Claudette", "Clive", "Delroy", "Desmond", "Errol", "Everton", "Jermaine",
    "Keisha", "Leroy", "Marcia", "Marcus", "Paulette", "Shanice", "Tyrone", "Winston",
    # Polish, Romanian, Baltic and other Eastern European
    "Agnieszka", "Aleksandra", "Alexandru", "Andrei", "Andrzej", "Beata", "Dorota", "Elena",
    "Ewa", "Grzegorz", "Ioana", "Irina", "Jakub", "Justyna", "Kamil", "Katarzyna", "Krzysztof",
    "Lukasz", "Łukasz", "Magdalena", "Malgorzata", "Małgorzata", "Marcin", "Mateusz",
    "Michal", "Michał", "Mihai", "Monika", "Oksana", "Olena", "Pawel", "Paweł", "Piotr",
    "Tomasz", "Wojciech", "Zbigniew", "Zofia", "Zuzanna",
    # East and South East Asian
    "Hiroshi", "Linh", "Mei", "Minh", "Wei", "Yuki",
})
