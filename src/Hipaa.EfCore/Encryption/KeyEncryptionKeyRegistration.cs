using Hipaa.Encryption;

namespace Hipaa.EfCore.Encryption;

/// <summary>The KEK that wraps new intermediate keys, and the algorithm to ask it for.</summary>
internal sealed record KeyEncryptionKeyRegistration(IKeyEncryptionKey Key, string KeyWrapAlgorithm);
