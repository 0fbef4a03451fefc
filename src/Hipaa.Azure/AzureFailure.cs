using System.Globalization;
using System.Security.Cryptography;
using Hipaa.Encryption;

namespace Hipaa.Azure;

/// <summary>Turns what an Azure key service threw into <see cref="KeyServiceUnavailableException"/>.</summary>
internal static class AzureFailure
{
    /// <summary>
    /// Whether <paramref name="exception"/> is a failure of the key service (translated) rather than the caller's own
    /// cancellation, a bad argument, a value that failed authentication, or an already translated failure (passed through).
    /// </summary>
    public static bool IsKeyServiceFailure(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,
        ArgumentException or CryptographicException or KeyServiceUnavailableException => false,
        _ => true,
    };

    public static KeyServiceUnavailableException Translate(Exception exception, string keyId, string operation)
    {
        string cause = exception is global::Azure.RequestFailedException requestFailed
            ? requestFailed.Status == 0
                ? string.Format(CultureInfo.InvariantCulture, "the key service could not be reached ({0})", requestFailed.ErrorCode ?? "no response")
                : string.Format(CultureInfo.InvariantCulture, "the key service answered {0} ({1})", requestFailed.Status, requestFailed.ErrorCode ?? "no error code")
            : string.Format(CultureInfo.InvariantCulture, "the key service failed with {0}", exception.GetType().Name);

        string message = string.Format(
            CultureInfo.InvariantCulture,
            "The key-encryption key '{0}' could not {1}: {2}. Check that the key exists and is enabled, that the application is "
                + "allowed to use it, and that the key service is reachable; nothing was written and the operation can be retried.",
            keyId,
            operation,
            cause);
        return new KeyServiceUnavailableException(message, exception) { KeyId = keyId };
    }
}
