"""Access: passwords, tokens, captcha, OTP, the access policy, the access log."""
