import { corpusPart } from './corpus.js'

corpusPart(2, 3)
