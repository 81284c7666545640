"""Everything that talks to the outside: AWS, Meta, Google, the owner's CRM; and the libraries that draw coupons and
read phone numbers. The only modules that import boto3, requests, Pillow, qrcode, fontTools, phonenumbers or
google-auth."""
