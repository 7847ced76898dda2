import { corpusPart } from './corpus.js'

corpusPart(0, 3)
