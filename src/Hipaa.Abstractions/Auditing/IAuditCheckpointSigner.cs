namespace Hipaa.Auditing;

/// <summary>
/// Signs the checkpoints of the audit chain: after every seal the SDK signs the new head of the chain (its position, its
/// hash and the time) so that a copy of the checkpoints kept outside the database proves how long the chain was and what it
/// contained. Verification needs only the public key (<see cref="ExportSubjectPublicKeyInfo"/>), never this signer.
/// </summary>
/// <remarks>
/// <para>
/// Implementations hold the private key in an HSM or a key management service; the SDK never asks for it. The algorithm is
/// ECDSA over P-256 with SHA-256 (JOSE <c>ES256</c>), the signature being the 64-byte IEEE P1363 concatenation
/// <c>r || s</c>; docs/audit.md gives the bytes that are signed. For development and tests,
/// <c>Hipaa.EfCore.Auditing.Integrity.LocalDevelopmentCheckpointSigner</c> keeps the key in a local PEM file.
/// </para>
/// <para>Implementations must be thread-safe. A failure of the underlying service should surface as an exception: the
/// seal that asked for the signature is rolled back and nothing is sealed.</para>
/// </remarks>
public interface IAuditCheckpointSigner
{
    /// <summary>Gets the stable identifier of the signing key, stored beside every signature it makes.</summary>
    string KeyId { get; }

    /// <summary>Signs <paramref name="data"/> with ECDSA P-256 / SHA-256.</summary>
    /// <param name="data">The bytes to sign: the checkpoint's signed form (docs/audit.md).</param>
    /// <returns>The signature, 64 bytes (<c>r || s</c>, IEEE P1363).</returns>
    byte[] Sign(ReadOnlySpan<byte> data);

    /// <inheritdoc cref="Sign"/>
    /// <param name="data">The bytes to sign: the checkpoint's signed form (docs/audit.md).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    Task<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>Exports the public key that verifies this signer's signatures.</summary>
    /// <returns>The public key as a DER-encoded X.509 SubjectPublicKeyInfo.</returns>
    byte[] ExportSubjectPublicKeyInfo();
}
