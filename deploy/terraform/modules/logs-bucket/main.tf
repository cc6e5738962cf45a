module "key" {
  source = "../kms-key"

  alias       = var.name
  description = "Encrypts Loki's log chunks and index in s3://${var.name}"
}

# Hot: S3 Standard. Archive: Glacier Instant Retrieval, which still answers GETs in
# milliseconds, so Loki queries archived days unchanged (at a per-GB retrieval fee). Loki's
# compactor deletes at retention_days; the expiration is only the backstop behind it.
module "bucket" {
  source = "../private-bucket"

  name        = var.name
  kms_key_arn = module.key.arn
  lifecycle_rules = [{
    id                         = "loki-${var.hot_days}d-hot-${var.retention_days}d-total"
    transitions                = [{ days = var.hot_days, storage_class = "GLACIER_IR" }]
    expiration_days            = var.retention_days + var.expiry_margin_days
    noncurrent_expiration_days = var.noncurrent_version_days
  }]
}
