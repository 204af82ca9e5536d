// The pull policy a container gets when it names none (SetDefaults_Container).
/** `:latest` or no tag (and no digest) means Always, else IfNotPresent. */
export function defaultImagePullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const tail = image.slice(lastSlash + 1);
  const colon = tail.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return tail.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}
