package awserr

// AssumeRoleFailed is the error_code of an account whose role could not be
// assumed (--org): refused by its trust policy or the seat's permissions,
// or never answered.
const AssumeRoleFailed Code = "ASSUME_ROLE_FAILED"
