import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'able', 'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'dapper', 'eager', 'fair', 'fleet',
  'gentle', 'glad', 'grand', 'honest', 'jolly', 'keen', 'kind', 'lively', 'lucky', 'merry', 'nimble', 'polite',
  'proud', 'quick', 'quiet', 'rare', 'sharp', 'shy', 'silent', 'sleek', 'smooth', 'steady', 'sunny', 'swift',
  'tidy', 'vast', 'warm', 'wise',
];
const NOUNS = [
  'ant', 'bat', 'bear', 'bee', 'crab', 'crane', 'deer', 'dove', 'duck', 'eel', 'elk', 'finch', 'fox', 'frog',
  'goat', 'hawk', 'hen', 'horse', 'jay', 'koi', 'lark', 'lynx', 'mole', 'moth', 'newt', 'owl', 'ox', 'panda',
  'quail', 'ram', 'seal', 'shrew', 'snail', 'squid', 'stork', 'swan', 'toad', 'trout', 'wasp', 'wolf',
];

/** A readable default run name in MLflow's style, e.g. "bold-owl-123". */
export function generateRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}
