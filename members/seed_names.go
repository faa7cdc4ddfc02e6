package members

// The demo club's names: mostly German, with the other names a German club has.

func seedFemaleNames() []string {
	return []string{"Anna", "Lena", "Hannah", "Sophie", "Marie", "Emma", "Mia", "Lea", "Laura", "Julia",
		"Sarah", "Katharina", "Johanna", "Clara", "Charlotte", "Greta", "Ida", "Frieda", "Jana", "Sabine",
		"Petra", "Claudia", "Ursula", "Monika", "Birgit", "Ayşe", "Elif", "Zeynep", "Agnieszka", "Katarzyna",
		"Giulia", "Sofia", "Eleni", "Olga", "Natalia", "Amira", "Yasmin", "Chiara", "Zoë", "Renée"}
}

func seedMaleNames() []string {
	return []string{"Lukas", "Jonas", "Leon", "Finn", "Paul", "Felix", "Maximilian", "Elias", "Noah", "Ben",
		"Tim", "Jan", "Niklas", "Moritz", "Jakob", "Thomas", "Michael", "Andreas", "Stefan", "Jürgen",
		"Klaus", "Wolfgang", "Uwe", "Dieter", "Mehmet", "Emre", "Can", "Piotr", "Tomasz", "Marco",
		"Luca", "Giorgos", "Dmitri", "Sergej", "Omar", "Karim", "Hiroshi", "Kenji", "José", "Søren"}
}

func seedLastNames() []string {
	return []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
		"Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
		"Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier",
		"Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber",
		"Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Vogel",
		"Friedrich", "Keller", "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann",
		"Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Nowak", "Kowalski", "Wiśniewski", "Rossi",
		"Russo", "Esposito", "Papadopoulos", "Ivanov", "Petrov", "Nguyen", "Tanaka", "Suzuki", "García", "von Bergen",
		"Müller-Lüdenscheidt", "O'Brien"}
}

func seedStreets() []string {
	return []string{"Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße", "Bergstraße",
		"Birkenweg", "Lindenstraße", "Kirchstraße", "Waldstraße", "Ringstraße", "Mühlenweg", "Am Sportplatz",
		"Goethestraße", "Schillerstraße", "Rosenweg", "Jahnstraße", "Friedhofstraße"}
}

func seedCities() []struct{ Postal, City string } {
	return []struct{ Postal, City string }{
		{"10115", "Berlin"}, {"20095", "Hamburg"}, {"80331", "München"}, {"50667", "Köln"},
		{"60311", "Frankfurt am Main"}, {"70173", "Stuttgart"}, {"40213", "Düsseldorf"}, {"04109", "Leipzig"},
		{"44135", "Dortmund"}, {"45127", "Essen"}, {"28195", "Bremen"}, {"01067", "Dresden"},
		{"30159", "Hannover"}, {"90403", "Nürnberg"}, {"47051", "Duisburg"}, {"44787", "Bochum"},
	}
}

func seedNotes() []string {
	return []string{"Allergie: Nüsse", "Asthma, Spray in der Tasche", "Trainerlizenz C", "Kampfrichter",
		"Wettkampfkader", "Beitrag per Lastschrift vereinbart", "Bruder/Schwester ebenfalls Mitglied",
		"Probetraining im Januar", "Sportbefreiung bis Monatsende"}
}
