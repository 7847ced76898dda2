import { corpusPart } from './corpus.js'

corpusPart(1, 3)
