"""Names of well-known public figures (historical and public-office holders) that are not private data.

The list is deliberately short and conservative: people whose names are the *topic* of ordinary
instructions ("Write a biography of Abraham Lincoln", "What did Marie Curie discover?"). It is no
knowledge base. Entries are full names as commonly written; ``MONONYMS`` are single names that
refer to one famous person in practically every use.
"""

from __future__ import annotations

FULL_NAMES = """
Abraham Lincoln; George Washington; John Adams; Thomas Jefferson; James Madison; James Monroe;
John Quincy Adams; Andrew Jackson; Martin Van Buren; William Henry Harrison; John Tyler;
James K. Polk; Zachary Taylor; Millard Fillmore; Franklin Pierce; James Buchanan; Andrew Johnson;
Ulysses S. Grant; Rutherford B. Hayes; James A. Garfield; Chester A. Arthur; Grover Cleveland;
Benjamin Harrison; William McKinley; Theodore Roosevelt; William Howard Taft; Woodrow Wilson;
Warren G. Harding; Calvin Coolidge; Herbert Hoover; Franklin D. Roosevelt; Franklin Delano Roosevelt;
Harry S. Truman; Harry Truman; Dwight D. Eisenhower; Dwight Eisenhower; John F. Kennedy;
John Fitzgerald Kennedy; Lyndon B. Johnson; Lyndon Johnson; Richard Nixon; Gerald Ford; Jimmy Carter;
Ronald Reagan; George H. W. Bush; George W. Bush; Bill Clinton; Barack Obama; Donald Trump;
Joe Biden; Kamala Harris; Hillary Clinton; Eleanor Roosevelt; Michelle Obama; Benjamin Franklin;
Alexander Hamilton; Martin Luther King; Martin Luther King Jr.; Malcolm X; Rosa Parks;
Frederick Douglass; Harriet Tubman; Sojourner Truth; Susan B. Anthony; Elizabeth Cady Stanton;
Winston Churchill; Margaret Thatcher; Tony Blair; Queen Victoria; Queen Elizabeth; Elizabeth II;
Queen Elizabeth II; King Charles; Henry VIII; William Shakespeare; Charles Dickens; Jane Austen;
Charlotte Bronte; Charlotte Brontë; Emily Bronte; Emily Brontë; Virginia Woolf; George Orwell;
Oscar Wilde; Lewis Carroll; J. R. R. Tolkien; J.R.R. Tolkien; C. S. Lewis; C.S. Lewis; Agatha Christie;
Arthur Conan Doyle; Mark Twain; Ernest Hemingway; F. Scott Fitzgerald; John Steinbeck;
Edgar Allan Poe; Herman Melville; Walt Whitman; Emily Dickinson; Robert Frost; Maya Angelou;
Toni Morrison; Harper Lee; J. K. Rowling; J.K. Rowling; Stephen King; Leo Tolstoy; Fyodor Dostoevsky;
Anton Chekhov; Victor Hugo; Alexandre Dumas; Gabriel Garcia Marquez; Gabriel García Márquez;
Miguel de Cervantes; Dante Alighieri; Homer; Johann Wolfgang von Goethe; Franz Kafka;
Albert Einstein; Isaac Newton; Galileo Galilei; Nicolaus Copernicus; Johannes Kepler; Charles Darwin;
Marie Curie; Pierre Curie; Nikola Tesla; Thomas Edison; Alexander Graham Bell; Stephen Hawking;
Richard Feynman; Niels Bohr; Max Planck; Werner Heisenberg; Erwin Schrödinger; Erwin Schrodinger;
Ada Lovelace; Alan Turing; Charles Babbage; Grace Hopper; Tim Berners-Lee; John von Neumann;
Carl Sagan; Rosalind Franklin; Gregor Mendel; Louis Pasteur; Alexander Fleming; Dmitri Mendeleev;
Michael Faraday; James Clerk Maxwell; Archimedes; Euclid; Pythagoras; Leonhard Euler;
Carl Friedrich Gauss; Srinivasa Ramanujan; Sigmund Freud; Carl Jung; Florence Nightingale;
Jane Goodall; Rachel Carson; Wright brothers; Orville Wright; Wilbur Wright; Henry Ford; Steve Jobs;
Bill Gates; Elon Musk; Jeff Bezos; Mark Zuckerberg; Warren Buffett; Leonardo da Vinci;
Michelangelo; Raphael; Vincent van Gogh; Pablo Picasso; Claude Monet; Rembrandt; Frida Kahlo;
Salvador Dali; Salvador Dalí; Andy Warhol; Georgia O'Keeffe; Johann Sebastian Bach;
Wolfgang Amadeus Mozart; Ludwig van Beethoven; Frederic Chopin; Frédéric Chopin;
Pyotr Ilyich Tchaikovsky; Antonio Vivaldi; Richard Wagner; Giuseppe Verdi; Elvis Presley;
John Lennon; Paul McCartney; Michael Jackson; Bob Dylan; Bob Marley; Freddie Mercury; Taylor Swift;
Beyonce; Beyoncé; Madonna; Frank Sinatra; Louis Armstrong; Aretha Franklin; Marilyn Monroe;
Charlie Chaplin; Walt Disney; Alfred Hitchcock; Steven Spielberg; Muhammad Ali; Michael Jordan;
Serena Williams; Usain Bolt; Pele; Pelé; Lionel Messi; Cristiano Ronaldo; Babe Ruth; Jesse Owens;
Napoleon Bonaparte; Julius Caesar; Augustus; Cleopatra; Alexander the Great; Genghis Khan;
Charlemagne; Joan of Arc; Christopher Columbus; Ferdinand Magellan; Marco Polo; Vasco da Gama;
Neil Armstrong; Buzz Aldrin; Yuri Gagarin; Amelia Earhart; Mahatma Gandhi; Mohandas Gandhi;
Jawaharlal Nehru; Nelson Mandela; Desmond Tutu; Mother Teresa; Dalai Lama; Pope Francis;
Pope John Paul II; Martin Luther; John Calvin; Confucius; Lao Tzu; Laozi; Buddha; Siddhartha Gautama;
Jesus; Jesus Christ; Moses; Muhammad; Socrates; Plato; Aristotle; Immanuel Kant;
Friedrich Nietzsche; Karl Marx; Friedrich Engels; Adam Smith; John Locke; Thomas Hobbes;
Jean-Jacques Rousseau; Voltaire; Rene Descartes; René Descartes; Baruch Spinoza; David Hume;
John Stuart Mill; Simone de Beauvoir; Jean-Paul Sartre; Niccolo Machiavelli; Niccolò Machiavelli;
Sun Tzu; Vladimir Lenin; Joseph Stalin; Adolf Hitler; Benito Mussolini; Mao Zedong; Fidel Castro;
Che Guevara; Ho Chi Minh; Mikhail Gorbachev; Vladimir Putin; Xi Jinping; Angela Merkel;
Emmanuel Macron; Otto von Bismarck; Charles de Gaulle; Simon Bolivar; Simón Bolívar;
Peter the Great; Catherine the Great; Louis XIV; Marie Antoinette; Queen Elizabeth I; Elizabeth I;
William the Conqueror; Attila the Hun; Hannibal; Ramesses II; Tutankhamun; Nefertiti;
Anne Frank; Helen Keller; Oprah Winfrey; Princess Diana; Diana, Princess of Wales; Prince Harry;
Prince William; King George III; George III; Robert E. Lee; Davy Crockett; Paul Revere;
Pocahontas; Sitting Bull; Crazy Horse; Geronimo; Sacagawea; Lewis and Clark; Meriwether Lewis;
William Clark; Harvey Milk; Cesar Chavez; César Chávez; Eva Peron; Eva Perón; Kofi Annan;
Ban Ki-moon; Malala Yousafzai; Greta Thunberg; Hippocrates; Galen; Avicenna; Ibn Sina; Averroes;
Omar Khayyam; Rumi; Hafez; Saladin; Suleiman the Magnificent; Akbar; Ashoka; Rabindranath Tagore;
Kublai Khan; Qin Shi Huang; Sun Yat-sen; Chiang Kai-shek; Deng Xiaoping; Emperor Hirohito;
Akira Kurosawa; Hayao Miyazaki; Bruce Lee; Jackie Chan
"""

# Single names that mean one famous person almost whenever they are used alone.
MONONYMS = """
Shakespeare; Einstein; Newton; Darwin; Galileo; Copernicus; Kepler; Napoleon; Beethoven; Mozart;
Bach; Chopin; Tchaikovsky; Vivaldi; Picasso; Rembrandt; Michelangelo; Plato; Aristotle; Socrates;
Confucius; Nietzsche; Kant; Descartes; Voltaire; Machiavelli; Freud; Gandhi; Tolstoy; Dostoevsky;
Hemingway; Dickens; Tolkien; Homer; Cleopatra; Charlemagne; Stalin; Hitler; Mussolini; Churchill;
Lincoln; Tesla; Edison; Hawking; Feynman; Pythagoras; Euclid; Archimedes; Hippocrates; Turing
"""


def _split(block: str) -> list[str]:
    return [name.strip() for name in block.replace("\n", " ").split(";") if name.strip()]


PUBLIC_FIGURES: tuple[str, ...] = tuple(_split(FULL_NAMES))
PUBLIC_MONONYMS: tuple[str, ...] = tuple(_split(MONONYMS))
